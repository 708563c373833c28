from __future__ import annotations

from django import forms

from districtpm.org.models import Designation


class DateInput(forms.DateInput):
    input_type = "date"


class StepRuleForm(forms.Form):
    kind = forms.ChoiceField(choices=Designation.Kind.choices, label="Designation")
    name = forms.CharField(max_length=200, label="Step")
    due_on = forms.DateField(widget=DateInput, label="Due on")
    remind_days = forms.IntegerField(
        min_value=0, max_value=120, initial=14, label="Remind the principal (days before)"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
