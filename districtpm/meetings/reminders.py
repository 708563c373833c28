"""Reminders to action teams whose monthly status update is missing before Explore."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from districtpm.actionplans.actions import missing_updates
from districtpm.audit.log import record
from districtpm.core import plaintext
from districtpm.core.scoping import SYSTEM, require
from districtpm.meetings.models import Cycle, Meeting, Reminder


def send_reminders(
    today: dt.date | None = None, days_before: int = 3, *, acting_user: Any
) -> list[Reminder]:
    """One email to each team lead whose update for the month is missing, in the days before
    that month's Explore meeting. A team is reminded once per month, however often this runs.
    Those who run the meeting cycle send them (SYSTEM: the daily command)."""
    require(acting_user, Cycle, message="Your role does not send reminders.")
    today = today or timezone.localdate()
    upcoming = Meeting.objects.filter(
        rule__kind="explore",
        date__gte=today,
        date__lte=today + dt.timedelta(days=days_before),
    ).select_related("priority", "rule")
    sent = []
    for meeting in upcoming:
        month = meeting.focus_month
        for team in missing_updates(month):
            lead = team.lead
            if lead is None or not lead.email:
                continue
            if Reminder.objects.filter(team=team, month=month).exists():
                continue
            link = settings.DISTRICTPM_BASE_URL + reverse(
                "actionplans:update", args=[team.pk, month.isoformat()]
            )
            # Sent before anything is written and outside any transaction: a slow mail server
            # must not hold the database's write lock, and a failed send records nothing, so
            # the next run tries again. (Two runs at the same moment could both send.)
            # Names are free text: a line break in a subject would be a header injection
            # (Django refuses it with BadHeaderError, which would stop the whole run).
            send_mail(
                subject=plaintext.one_line(
                    f"{team.name}: your {month:%B} status update is due before Explore"
                ),
                message=plaintext.clean(
                    f"Hello {lead.first_name or lead.username},\n\n"
                    f"The {team.name} action team has not yet sent its status update for "
                    f"{month:%B %Y}. The Explore meeting on {meeting.date:%A %-d %B} "
                    f"({meeting.priority.name} in focus) reviews every team's update.\n\n"
                    f"Rate timeline, scope and resources and add a few lines here:\n{link}\n\n"
                    "District PM"
                ),
                from_email=None,
                recipient_list=[lead.email],
            )
            with transaction.atomic():
                reminder, created = Reminder.objects.get_or_create(
                    team=team, month=month, defaults={"sent_to": lead.email, "meeting": meeting}
                )
                if created:
                    record(
                        actor=acting_user,
                        action="actionplans.reminder.send",
                        obj=reminder,
                        after={"team": team.name, "month": month.isoformat(), "to": lead.email},
                        source="system" if acting_user is SYSTEM else "web",
                    )
            if created:
                sent.append(reminder)
    return sent


def explore_focus_month(today: dt.date) -> dt.date | None:
    """The month the next Explore meeting reviews: the month whose updates are asked for."""
    explore = Meeting.objects.filter(rule__kind="explore", date__gte=today).order_by("date").first()
    return explore.focus_month if explore else None
