"""Forms for a cycle's settings: when each kind of meeting falls, and the months' priorities."""

from __future__ import annotations

from django import forms

from districtpm.core.roles import Role
from districtpm.meetings.models import Cycle, MeetingRule
from districtpm.org.models import CalendarEvent

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
WEEKS = [(1, "First"), (2, "Second"), (3, "Third"), (4, "Fourth"), (-1, "Last")]
OFFSETS = [(0, "In the focus month"), (1, "In the month after")]
CALENDAR_KINDS = [("", "No: always the weekday rule")] + [
    (CalendarEvent.Kind.STUDY_SESSION, "The Board's study session, when that month has one"),
    (CalendarEvent.Kind.BOARD_MEETING, "The Board meeting, when that month has one"),
]


class AgendaField(forms.CharField):
    """An agenda as one item per line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class RuleForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int)
    week = forms.TypedChoiceField(choices=WEEKS, coerce=int)
    month_offset = forms.TypedChoiceField(choices=OFFSETS, coerce=int, label="Month")
    use_calendar = forms.ChoiceField(
        choices=CALENDAR_KINDS, required=False, label="Use the school calendar's date"
    )
    attendee_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Invited roles",
        help_text="Action team roles invite only the team of the priority in focus.",
    )
    agenda = AgendaField(help_text="One agenda item per line.")

    class Meta:
        model = MeetingRule
        fields = [
            "name",
            "weekday",
            "week",
            "month_offset",
            "use_calendar",
            "start_time",
            "minutes",
            "location",
            "attendees",
            "attendee_roles",
            "agenda",
        ]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"})}

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        if not 15 <= minutes <= 480:
            raise forms.ValidationError("A meeting lasts between 15 minutes and 8 hours.")
        return minutes


RuleFormSet = forms.modelformset_factory(MeetingRule, form=RuleForm, extra=0)


class MonthsForm(forms.Form):
    """Which priority is in focus each month, and which months have no meetings."""

    def __init__(self, *args, cycle: Cycle, priorities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.months = list(cycle.months.select_related("priority"))
        for focus in self.months:
            self.fields[f"focus_{focus.pk}"] = forms.ModelChoiceField(
                queryset=priorities,
                initial=focus.priority_id,
                label=focus.month.strftime("%B %Y"),
            )
        self.fields["skip_months"] = forms.TypedMultipleChoiceField(
            choices=[(f.month.month, f.month.strftime("%B")) for f in self.months],
            coerce=int,
            required=False,
            initial=cycle.skip_months,
            widget=forms.CheckboxSelectMultiple,
            label="Months with no meetings",
        )
