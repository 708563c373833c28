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


class ProblemForm(forms.Form):
    school = forms.ModelChoiceField(queryset=None)
    metric = forms.ModelChoiceField(queryset=None)
    school_year = forms.ChoiceField(choices=(), label="School year of the data")
    group = forms.ChoiceField(choices=(), label="Student group")
    desired = forms.FloatField(
        required=False,
        label="Desired state",
        help_text="The value the team wants the group to reach; for a percentage, a number "
        "such as 45 for 45%.",
    )
    use_district_target = forms.BooleanField(
        required=False, label="Use the district's target for that year instead"
    )

    def __init__(self, *args, schools, metrics, years, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["metric"].queryset = metrics
        self.fields["school_year"].choices = [(y, y) for y in years]
        self.fields["group"].choices = groups

    def clean(self):
        data = super().clean()
        if data.get("desired") is None and not data.get("use_district_target"):
            self.add_error("desired", "Give the desired state, or use the district's target.")
        metric = data.get("metric")
        if (
            metric is not None
            and data.get("desired") is not None
            and metric.format.startswith("percent")
        ):
            data["desired"] = data["desired"] / 100
        return data
