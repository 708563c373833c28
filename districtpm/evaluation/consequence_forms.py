"""The forms of plans of support, non-renewals and appeals. They check only the shape of what
is typed (a date is a date); the rules are the actions' (consequences.py)."""

from __future__ import annotations

from django import forms

from districtpm.evaluation.models import Appeal, SupportPlan


def _date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _text(label: str, max_length: int, rows: int = 4, **kwargs: object) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,  # type: ignore[arg-type]
    )


class SupportPlanForm(forms.Form):
    goals = _text("Goals", 4000, help_text="What the teacher is to reach by the end of the plan.")
    supports = _text(
        "Supports", 4000, help_text="Who will help, and how: coaching, observations, training."
    )
    starts_on = _date("Starts on")
    ends_on = _date("Ends on", "After the day it starts.")


class CheckInForm(forms.Form):
    held_on = _date("Held on", "While the plan runs.")
    notes = _text("Notes", 4000)


class ClosePlanForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How it ended",
        choices=[("", "Choose…")]
        + [(o.value, o.label) for o in SupportPlan.Outcome if o != SupportPlan.Outcome.OPEN],
    )
    note = _text("Note", 4000, help_text="What the check-ins and the evidence showed.")
    closed_on = _date("Closed on")


class ProposeForm(forms.Form):
    reasons = _text("Reasons", 4000, help_text="Given to the teacher if they ask for them.")
    proposed_on = _date("Proposed on")


class StepForm(forms.Form):
    """The day a step of a non-renewal happened."""

    on = _date("On")


class WithdrawForm(forms.Form):
    on = _date("Withdrawn on")
    reason = _text("Reason", 500, rows=3, help_text="Kept in the audit log.")


class AppealForm(forms.Form):
    kind = forms.ChoiceField(label="What it is", choices=[("", "Choose…"), *Appeal.Kind.choices])
    notified_on = _date("Rating received on", "When the teacher received the final rating.")
    filed_on = _date("Filed on")
    grounds = forms.MultipleChoiceField(
        label="Grounds (an appeal of the loss of status only)",
        choices=Appeal.Ground.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="An appeal needs one or both; a disagreement or a grievance none.",
    )
    statement = _text("The teacher's statement", 8000, rows=6)
    panel = _text(
        "Panel",
        2000,
        rows=2,
        required=False,
        help_text="Who will hear it; it can be named later.",
    )


class PanelForm(forms.Form):
    panel = _text("Panel", 2000, rows=2, help_text="Who will hear it.")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[("", "Choose…")]
        + [(o.value, o.label) for o in Appeal.Outcome if o != Appeal.Outcome.PENDING],
    )
    decided_on = _date("Decided on")
    decision = _text("Written decision", 8000, rows=6, help_text="The decision and its reasons.")
