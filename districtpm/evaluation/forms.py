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


class ObservationForm(forms.Form):
    observed_on = forms.DateField(
        label="Date observed", widget=forms.DateInput(attrs={"type": "date"})
    )
    minutes = forms.IntegerField(min_value=1, max_value=480, initial=30, label="Minutes observed")
    action_step = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Action step",
        help_text="The one thing to work on before the next observation.",
    )

    def __init__(self, *args, indicators=(), **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            c = indicator.component
            choices = [("", "Not seen")] + [
                (str(v), f"{v:g}") for v in _steps(c.scale_min, c.scale_max)
            ]
            self.fields[f"i{indicator.pk}"] = forms.TypedChoiceField(
                choices=choices,
                coerce=float,
                empty_value=None,
                required=False,
                label=str(indicator),
            )

    def scores(self) -> dict[int, float]:
        return {
            i.pk: self.cleaned_data[f"i{i.pk}"]
            for i in self.indicators
            if self.cleaned_data.get(f"i{i.pk}") is not None
        }


def _steps(low: float, high: float) -> list[float]:
    """The whole points of a scale (a scale of more than ten points is scored by the tenth)."""
    if high - low > 10:
        return []
    value, steps = low, []
    while value <= high:
        steps.append(value)
        value += 1
    return steps


class NoteForm(forms.Form):
    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")
    indicator = forms.TypedChoiceField(
        choices=[], coerce=int, empty_value=None, required=False, label="Evidence for"
    )

    def __init__(self, *args, indicators=(), **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "No indicator")] + [
            (i.pk, str(i)) for i in indicators
        ]


class ReflectionForm(forms.Form):
    reflection = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 5}), label="Your reflection"
    )


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Your comment (optional)",
        help_text="Acknowledging says the conversation took place. It does not mean you agree.",
    )


class ConversationForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, sections=(), **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.sections = list(sections)
        for section in self.sections:
            self.fields[f"s_{section.key}"] = forms.CharField(
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=section.title,
            )

    def notes(self) -> dict[str, str]:
        return {s.key: self.cleaned_data.get(f"s_{s.key}", "") for s in self.sections}


class FollowUpForm(forms.Form):
    template = forms.ChoiceField(choices=[], label="Template")
    next_steps = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Next steps agreed",
        help_text="Filled into the email; you can edit the whole email before sending.",
    )


class SendForm(forms.Form):
    template = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        max_length=10000, widget=forms.Textarea(attrs={"rows": 14}), label="Message"
    )


class WindowsForm(forms.Form):
    def __init__(self, *args, kinds=(), **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.kinds = list(kinds)
        for kind in self.kinds:
            for edge, word in [("opens", "first day"), ("closes", "last day")]:
                self.fields[f"{kind.value}_{edge}"] = forms.DateField(
                    label=f"{kind.label}: {word}",
                    widget=forms.DateInput(attrs={"type": "date"}),
                )

    def spans(self) -> dict:
        return {
            k.value: (self.cleaned_data[f"{k.value}_opens"], self.cleaned_data[f"{k.value}_closes"])
            for k in self.kinds
        }
