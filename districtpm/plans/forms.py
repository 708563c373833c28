"""Forms for the plan. A goal's targets are a small formset of school year and value."""

from __future__ import annotations

from django import forms

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.metrics.models import Metric
from districtpm.plans.models import Goal, Plan

YEAR_HELP = "A school year, like 2027-2028."


def _school_year(value: str) -> str:
    parts = value.strip().split("-")
    if (
        len(parts) != 2
        or not all(p.isdigit() and len(p) == 4 for p in parts)
        or int(parts[1]) != int(parts[0]) + 1
    ):
        raise forms.ValidationError("Write a school year as two consecutive years, like 2027-2028.")
    return value.strip()


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["name", "first_year", "last_year", "vision", "theory_of_action"]

    def clean_first_year(self) -> str:
        return _school_year(self.cleaned_data["first_year"])

    def clean_last_year(self) -> str:
        return _school_year(self.cleaned_data["last_year"])


class GoalForm(forms.ModelForm):
    group = forms.ChoiceField(label="Student group", initial="all:all")

    class Meta:
        model = Goal
        fields = [
            "statement",
            "priority",
            "metric",
            "level",
            "entity_code",
            "baseline_year",
            "baseline_value",
            "goal_year",
            "tolerance",
            "reported_status",
            "leading_metrics",
        ]
        labels = {
            "entity_code": "School or network code (district: leave as district)",
            "baseline_value": "Baseline value (a rate as a fraction, 0.42 for 42%)",
        }
        widgets = {"leading_metrics": forms.CheckboxSelectMultiple}

    def __init__(self, *args, plan: Plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].queryset = plan.priorities.all()
        annual = Metric.objects.filter(active=True, period="school_year")
        lagging = annual.filter(kind="lagging")
        if self.instance.metric_id:
            # A goal set on another measure (an imported plan, a metric since made leading)
            # keeps it: saving the form unchanged must not fail for want of a choice.
            lagging = lagging | Metric.objects.filter(pk=self.instance.metric_id)
        self.fields["metric"].queryset = lagging
        self.fields["leading_metrics"].queryset = Metric.objects.filter(active=True, kind="leading")
        self.fields["leading_metrics"].required = False
        self.fields["reported_status"] = forms.ChoiceField(
            required=False,
            label="Status the owner reports",
            choices=[
                ("", "—"),
                ("on_track", "On track"),
                ("at_risk", "At risk"),
                ("off_track", "Off track"),
            ],
        )
        groups = [("all:all", "All students")]
        for dim, label in GROUP_DIMENSIONS.items():
            if dim in ("econ_disadv", "ell", "swd"):
                groups += [(f"{dim}:yes", label), (f"{dim}:no", f"Not {label.lower()}")]
        groups += [(f"race:{r}", r) for r in ("Black", "Hispanic", "White", "Asian")]
        self.fields["group"].choices = groups
        if self.instance.pk:
            self.initial["group"] = f"{self.instance.group_dim}:{self.instance.group_value}"

    def clean_baseline_year(self) -> str:
        return _school_year(self.cleaned_data["baseline_year"])

    def clean_goal_year(self) -> str:
        return _school_year(self.cleaned_data["goal_year"])

    def clean(self) -> dict:
        from districtpm.org.models import Network, School

        data = super().clean()
        level, code = data.get("level"), (data.get("entity_code") or "").strip()
        if level == "district":
            data["entity_code"] = "district"
        elif level == "school" and not School.objects.filter(code=code).exists():
            self.add_error("entity_code", f"There is no school with code {code!r}.")
        elif level == "network" and not Network.objects.filter(code=code).exists():
            self.add_error("entity_code", f"There is no network with code {code!r}.")
        metric = data.get("metric")
        if metric and level and level not in metric.levels:
            self.add_error("level", f"{metric.name} is not computed for a {level}.")
        return data

    def goal_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        data["group_dim"], data["group_value"] = self.cleaned_data["group"].split(":", 1)
        return data


class TargetForm(forms.Form):
    school_year = forms.CharField(max_length=9, help_text=YEAR_HELP)
    value = forms.FloatField()

    def clean_school_year(self) -> str:
        return _school_year(self.cleaned_data["school_year"])


class BaseTargetFormSet(forms.BaseFormSet):
    def targets(self) -> dict[str, float]:
        return {
            f.cleaned_data["school_year"]: f.cleaned_data["value"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        }

    def clean(self) -> None:
        years = [f.cleaned_data.get("school_year") for f in self.forms if f.cleaned_data]
        if len(years) != len(set(years)):
            raise forms.ValidationError("Each school year may have one target.")
        if not years:
            raise forms.ValidationError("Give at least one yearly target.")


TargetFormSet = forms.formset_factory(TargetForm, formset=BaseTargetFormSet, extra=4, max_num=12)


def _people():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).order_by("last_name", "username")


class PriorityForm(forms.ModelForm):
    class Meta:
        from districtpm.plans.models import Priority

        model = Priority
        fields = ["name", "order", "description", "owner"]

    def __init__(self, *args, plan: Plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["owner"].queryset = _people()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = self.plan.priorities.filter(name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"The plan has a priority named {name!r} already.")
        return name


class InitiativeForm(forms.ModelForm):
    class Meta:
        from districtpm.plans.models import Initiative

        model = Initiative
        fields = ["priority", "name", "description", "owner", "leading_metrics"]
        widgets = {"leading_metrics": forms.CheckboxSelectMultiple}

    def __init__(self, *args, plan: Plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].queryset = plan.priorities.all()
        self.fields["owner"].queryset = _people()
        self.fields["leading_metrics"].queryset = Metric.objects.filter(active=True, kind="leading")
        self.fields["leading_metrics"].required = False


class KeyActionForm(forms.ModelForm):
    class Meta:
        from districtpm.plans.models import KeyAction

        model = KeyAction
        fields = ["initiative", "name", "milestone", "owner", "due_date", "resources", "status"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, plan: Plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from districtpm.plans.models import Initiative

        self.fields["initiative"].queryset = Initiative.objects.filter(priority__plan=plan)
        self.fields["owner"].queryset = _people()
