"""The decision and commitment log: everything decided or promised at the meetings a user may
see, across the year's cycles, filtered by priority, owner, kind, state and date, and exported
as CSV with the same filters."""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from districtpm.accounts.people import person_label
from districtpm.core.access import requires
from districtpm.core.cells import csv_writer, safe_row
from districtpm.meetings.models import Meeting, MeetingItem
from districtpm.plans.models import Priority

KINDS = [MeetingItem.Kind.DECISION, MeetingItem.Kind.COMMITMENT]
STATES = [("", "Any"), ("open", "Open"), ("overdue", "Overdue"), ("closed", "Closed")]


class LogFilter(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "Decisions and commitments")] + [(k.value, k.label + "s") for k in KINDS],
        required=False,
    )
    priority = forms.ModelChoiceField(Priority.objects.none(), required=False, empty_label="Any")
    owner = forms.ModelChoiceField(
        get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    state = forms.ChoiceField(choices=STATES, required=False, label="Commitments")
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )

    def __init__(self, *args, items: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].queryset = Priority.objects.filter(
            pk__in=items.values("meeting__priority_id")
        ).order_by("order", "name")
        owners = get_user_model().objects.filter(pk__in=items.values("owner_id"))
        self.fields["owner"].queryset = owners.order_by("last_name", "first_name", "username")
        self.fields["owner"].label_from_instance = person_label

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The first date comes on or before the last.")
        return data


def _filtered(items: QuerySet, data: dict, today: dt.date) -> QuerySet:
    if data.get("kind"):
        items = items.filter(kind=data["kind"])
    if data.get("priority"):
        items = items.filter(meeting__priority=data["priority"])
    if data.get("owner"):
        items = items.filter(owner=data["owner"])
    state = data.get("state")
    commitment = Q(kind=MeetingItem.Kind.COMMITMENT)
    if state == "open":
        items = items.filter(commitment, closed_at=None)
    elif state == "overdue":
        items = items.filter(commitment, closed_at=None, due_date__lt=today)
    elif state == "closed":
        items = items.filter(commitment).exclude(closed_at=None)
    if data.get("since"):
        items = items.filter(meeting__date__gte=data["since"])
    if data.get("until"):
        items = items.filter(meeting__date__lte=data["until"])
    return items


def _state(item: MeetingItem, today: dt.date) -> str:
    if item.kind != MeetingItem.Kind.COMMITMENT:
        return ""
    if item.closed_at:
        return "Closed"
    return "Overdue" if item.due_date and item.due_date < today else "Open"


@requires("meetings.view")
def decision_log(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    items = MeetingItem.objects.filter(
        meeting__in=Meeting.objects.visible_to(request.user), kind__in=KINDS
    ).select_related("meeting__rule", "meeting__priority", "owner", "closed_in")
    form = LogFilter(request.GET or None, items=items)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    found = _filtered(items, data, today).order_by("-meeting__date", "kind", "pk")
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        writer.writerow(["Meeting", "Date", "Priority", "Kind", "Text", "Owner", "Due", "State"])
        for item in found.iterator(chunk_size=500):
            writer.writerow(
                safe_row(
                    [
                        item.meeting.title,
                        item.meeting.date.isoformat(),
                        item.meeting.priority.name if item.meeting.priority_id else "",
                        item.get_kind_display(),
                        item.text,
                        (item.owner.get_full_name() or item.owner.username) if item.owner else "",
                        item.due_date.isoformat() if item.due_date else "",
                        _state(item, today),
                    ]
                )
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="decisions-and-commitments.csv"'
        return response
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    rows = [(item, _state(item, today)) for item in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
