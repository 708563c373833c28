"""Meeting cycles: a year of meetings made from rules a district can change.

A Cycle belongs to a school year and a preset. Its MeetingRules say when each kind of meeting
falls (which weekday of which week, in the focus month or the one after), who attends and the
agenda. Its months each put one priority in focus. Meetings are made from the rules; each keeps
the date its rule gave, the date it is held and why they differ.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from districtpm.core.scoping import ScopedQuerySet


def _uid() -> str:
    return f"{uuid.uuid4().hex}@districtpm"


class Cycle(models.Model):
    school_year = models.ForeignKey(
        "org.SchoolYear", on_delete=models.CASCADE, related_name="cycles"
    )
    preset = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    skip_months = models.JSONField(
        default=list, blank=True, help_text="Month numbers with no meetings, such as [12]."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "preset"], name="one_cycle_per_preset")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.school_year}"


class MeetingRule(models.Model):
    """When one kind of meeting falls, who attends and what its agenda holds."""

    class Kind(models.TextChoices):
        EXPLORE = "explore", "Explore"
        ENGAGE = "engage", "Engage"
        EMPOWER = "empower", "Empower"
        PM_SESSION = "pm_session", "PM session"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday, 6 is Sunday.")
    week = models.SmallIntegerField(help_text="1 for the first such weekday, -1 for the last.")
    month_offset = models.PositiveSmallIntegerField(
        default=0, help_text="0: in the focus month; 1: in the month after it."
    )
    use_calendar = models.CharField(
        max_length=20,
        blank=True,
        help_text="A calendar entry kind (such as study_session) whose date, when the month "
        "has one, is used instead of the weekday rule.",
    )
    start_time = models.TimeField()
    minutes = models.PositiveSmallIntegerField(default=90)
    location = models.CharField(max_length=200, blank=True)
    attendees = models.CharField(max_length=300, help_text="Who attends, in words.")
    attendee_roles = models.JSONField(
        default=list, help_text="Roles invited; action team roles are the focus team's."
    )
    agenda = models.JSONField(default=list)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["cycle", "kind"], name="one_rule_per_kind")]

    def __str__(self) -> str:
        return self.name


class FocusMonth(models.Model):
    """The priority in focus in one month of a cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(help_text="The first day of the month.")
    priority = models.ForeignKey("plans.Priority", on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "month"], name="one_focus_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y}: {self.priority}"


class Meeting(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="meetings")
    rule = models.ForeignKey(MeetingRule, on_delete=models.CASCADE, related_name="meetings")
    focus_month = models.DateField()
    priority = models.ForeignKey("plans.Priority", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    rule_date = models.DateField(help_text="The date the rule gave.")
    moved_reason = models.CharField(max_length=300, blank=True)
    moved_by_hand = models.BooleanField(default=False)
    start_time = models.TimeField()
    minutes = models.PositiveSmallIntegerField()
    location = models.CharField(max_length=200, blank=True)
    agenda = models.JSONField(default=list)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="meetings"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    uid = models.CharField(max_length=80, unique=True, default=_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, help_text="Raised at every change.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "focus_month"], name="one_meeting_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%-d %b %Y})"

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def title(self) -> str:
        return f"{self.rule.name} — {self.priority.name}"


class MeetingItem(models.Model):
    """Something recorded at a meeting. Commitments carry forward until closed."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        DECISION = "decision", "Decision"
        BARRIER = "barrier", "Barrier"
        COMMITMENT = "commitment", "Commitment"
        SUCCESS = "success", "Success to celebrate"
        SUPPORT = "support", "Support request"
        POLICY = "policy", "Policy question"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_in = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="closed_items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class FeedToken(models.Model):
    """The secret in a user's calendar subscription address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class Reminder(models.Model):
    """A reminder sent to a team lead whose monthly update was missing before the Explore
    meeting that reviews it; one per team and month."""

    team = models.ForeignKey(
        "actionplans.ActionTeam", on_delete=models.CASCADE, related_name="reminders"
    )
    month = models.DateField()
    sent_to = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)
    meeting = models.ForeignKey(Meeting, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        db_table = "actionplans_reminder"  # kept when the model moved here from action plans
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="one_reminder_per_team_month")
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.team}, {self.month:%B %Y}"
