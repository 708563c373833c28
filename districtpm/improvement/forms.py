from __future__ import annotations

from django import forms

from districtpm.actionplans.models import RATINGS
from districtpm.improvement.models import (
    Checkpoint,
    FocusArea,
    ProblemStatement,
    SchoolInitiative,
    SchoolPlanStep,
)
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


# --- a school's plan ---------------------------------------------------------------------------


def as_stored(metric, value: float | None) -> float | None:
    """A value as typed (45 for 45%) in the unit a metric stores (0.45)."""
    if value is None or metric is None:
        return value
    return value / 100 if metric.format.startswith("percent") else value


def check_target(form: forms.Form, metric, typed: float | None) -> None:
    """A percentage target lies between 0 and 100 (45 for 45%), any target at or above 0."""
    if metric is None or typed is None:
        return
    if metric.format.startswith("percent") and not 0 <= typed <= 100:
        form.add_error("target", "A percentage target lies between 0 and 100 (60 for 60%).")
    elif typed < 0:
        form.add_error("target", "A target is not negative.")


def as_typed(metric, value: float | None) -> float | None:
    if value is None or metric is None:
        return value
    return round(value * 100, 4) if metric.format.startswith("percent") else value


class AreaForm(forms.ModelForm):
    class Meta:
        model = FocusArea
        fields = ["name", "problem"]
        labels = {"name": "Area of focus", "problem": "Problem statement it answers"}

    def __init__(self, *args, plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = ProblemStatement.objects.filter(school=plan.school)
        self.fields["problem"].label_from_instance = lambda p: p.text[:120]


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = SchoolInitiative
        fields = ["name", "name_es", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name_es": "Shown on the Spanish Blueprint; left blank, the English name is."}


class StepForm(forms.ModelForm):
    class Meta:
        model = SchoolPlanStep
        fields = ["name", "milestone", "owner", "starts_on", "due_date", "resources", "status"]
        labels = {"name": "Step", "starts_on": "Starts on", "due_date": "Due on"}
        widgets = {"starts_on": DateInput, "due_date": DateInput}

    def __init__(self, *args, plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, role_assignments__school_id=plan.school_id)
            .distinct()
            .order_by("last_name", "first_name")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(choices=(("leading", "Leading"), ("lagging", "Lagging")))
    metric = forms.ModelChoiceField(queryset=None)
    group = forms.ChoiceField(choices=(), label="Student group")
    target = forms.FloatField(help_text="For a percentage, a number such as 60 for 60%.")

    def __init__(self, *args, metrics, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics
        self.fields["group"].choices = groups

    def clean(self):
        data = super().clean()
        check_target(self, data.get("metric"), data.get("target"))
        data["target"] = as_stored(data.get("metric"), data.get("target"))
        dim, _, value = (data.get("group") or "all:all").partition(":")
        data["group_dim"], data["group_value"] = dim, value
        return data


class CheckpointForm(forms.ModelForm):
    class Meta:
        model = Checkpoint
        fields = ["on", "reviewers", "looks_at"]
        labels = {"on": "Date", "reviewers": "Who reviews"}
        widgets = {"on": DateInput}


class CheckpointRecordForm(forms.Form):
    status = forms.ChoiceField(choices=RATINGS, widget=forms.RadioSelect)
    evidence = forms.CharField(max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))


class BlueprintForm(forms.Form):
    goals = forms.CharField(max_length=1500, widget=forms.Textarea(attrs={"rows": 4}))
    goals_es = forms.CharField(
        max_length=1500,
        required=False,
        label="Goals in Spanish",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    theory_es = forms.CharField(
        max_length=2000,
        required=False,
        label="Theory of action in Spanish",
        help_text="The theory of action itself is the plan's; this is its Spanish version.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class BlueprintMeasureForm(forms.Form):
    metric = forms.ModelChoiceField(queryset=None, required=False, empty_label="(none)")
    label = forms.CharField(max_length=200, required=False, help_text="How families read it.")
    label_es = forms.CharField(max_length=200, required=False, label="Label in Spanish")
    target = forms.FloatField(required=False, help_text="For a percentage, 60 for 60%.")

    def __init__(self, *args, metrics, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics

    def clean(self):
        data = super().clean()
        if data.get("target") is not None and data.get("metric") is None:
            self.add_error("target", "Choose the metric the target is for.")
        check_target(self, data.get("metric"), data.get("target"))
        data["target"] = as_stored(data.get("metric"), data.get("target"))
        return data
