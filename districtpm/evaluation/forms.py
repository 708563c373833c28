from __future__ import annotations

from django import forms


class ScoreForm(forms.Form):
    score = forms.FloatField()
    rationale = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed before the evaluation is final.",
    )


class FinaliseForm(forms.Form):
    rationale = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Rationale for the overall rating",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
