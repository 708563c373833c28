from __future__ import annotations

from django import forms

from districtpm.org.models import Division, Position
from districtpm.processmaps.models import Step, Version


class MapForm(forms.Form):
    name = forms.CharField(max_length=200)
    initiative = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="None: it stands alone"
    )
    description = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, initiatives=None, **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = initiatives


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=Step.Kind.choices, initial=Step.Kind.TASK)
    name = forms.CharField(max_length=200)
    lane = forms.ModelChoiceField(
        queryset=Division.objects.order_by("name"),
        required=False,
        empty_label="No owner yet",
        label="Lane (the division that owns it)",
    )
    position = forms.ModelChoiceField(
        queryset=Position.objects.order_by("name"), required=False, empty_label="Any"
    )
    days = forms.DecimalField(
        min_value=0, max_value=99999, decimal_places=1, initial=0, label="Expected days"
    )
    produces = forms.CharField(max_length=200, required=False, label="Data or document it produces")

    def __init__(self, *args, lanes=None, **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        if lanes is not None:  # a division member adds to their own lane only
            self.fields["lane"].queryset = lanes
            self.fields["lane"].empty_label = None


class FlowForm(forms.Form):
    source = forms.ChoiceField(label="From step")
    target = forms.ChoiceField(label="To step")
    label = forms.CharField(max_length=100, required=False, label="Outcome (for a decision)")

    def __init__(self, *args, sources=(), targets=(), **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s.pk, str(s)) for s in sources]
        self.fields["target"].choices = [(s.pk, str(s)) for s in targets]


class VersionForm(forms.Form):
    kind = forms.ChoiceField(choices=Version.Kind.choices, initial=Version.Kind.TO_BE)
    label = forms.CharField(
        max_length=200, required=False, help_text="For example: After the spring redesign"
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file", help_text="One row per step, with its next steps."
    )
    kind = forms.ChoiceField(
        choices=Version.Kind.choices, initial=Version.Kind.TO_BE, label="The new version is"
    )
