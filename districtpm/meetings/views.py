"""Meeting cycle pages: the year, one meeting's workspace, data packs and calendar feeds."""

from __future__ import annotations

import datetime as dt
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from districtpm.accounts.people import PersonField, candidates, person_label
from districtpm.actionplans.models import ActionPlan, ActionTeam, StatusUpdate
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS
from districtpm.core.roles import Role as R
from districtpm.core.scoping import access_for, allowed
from districtpm.meetings import actions, ics, pack, schedule
from districtpm.meetings.models import Cycle, FeedToken, Meeting, MeetingItem
from districtpm.meetings.presets import PRESETS
from districtpm.org.models import SchoolYear
from districtpm.plans.answers import answers_for

logger = logging.getLogger(__name__)

# Updates for a month are asked for in the two weeks before its Explore meeting.
DUE_WINDOW = dt.timedelta(days=14)


def _year(request: HttpRequest) -> SchoolYear | None:
    name = request.GET.get("year")
    if name:
        return SchoolYear.objects.filter(name=name).first()
    return SchoolYear.objects.current()


class PlanYearForm(forms.Form):
    preset = forms.ChoiceField(choices=[(k, v["name"]) for k, v in PRESETS.items()])
    school_year = forms.ChoiceField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_year"].choices = [
            (y.name, y.name) for y in SchoolYear.objects.order_by("start_date")
        ]


@requires("meetings.view")
def year(request: HttpRequest) -> HttpResponse:
    user = request.user
    school_year = _year(request)
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(cycle__school_year=school_year)
        .select_related("rule", "priority", "cycle")
    )
    months: dict[tuple, dict] = {}
    for m in meetings:
        entry = months.setdefault(
            (m.cycle_id, m.focus_month),
            {"month": m.focus_month, "priority": m.priority, "cycle": m.cycle, "meetings": []},
        )
        entry["meetings"].append(m)
    today = timezone.localdate()
    can_see_teams = access_for(user).can("actionplans.view")
    explore_by_month = {m.focus_month: m for m in meetings if m.rule.kind == "explore"}
    teams = list(ActionTeam.objects.visible_to(user)) if can_see_teams else []
    sent = set(
        StatusUpdate.objects.filter(team__in=teams, month__in=list(explore_by_month)).values_list(
            "team_id", "month"
        )
    )
    rows = sorted(months.values(), key=lambda e: (e["month"], e["cycle"].name))
    for entry in rows:
        explore = explore_by_month.get(entry["month"])
        if (
            can_see_teams
            and explore is not None
            and entry["cycle"].preset == "performance-dialogues"
        ):
            missing = [t for t in teams if (t.pk, entry["month"]) not in sent]
            entry["missing"] = missing
            entry["overdue"] = explore.date < today and bool(missing)
            entry["not_due"] = explore.date > today + DUE_WINDOW
    return render(
        request,
        "meetings/year.html",
        {
            "school_year": school_year,
            "years": SchoolYear.objects.order_by("start_date"),
            "months": rows,
            "cycles": Cycle.objects.visible_to(user).filter(school_year=school_year),
            "form": PlanYearForm(
                initial={"school_year": school_year.name if school_year else None}
            ),
            "can_plan": allowed(user, Cycle),
            "today": today,
        },
    )


@requires("meetings.change")
@require_POST
def plan(request: HttpRequest) -> HttpResponse:
    form = PlanYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a preset and a school year.")
        return redirect("meetings:year")
    try:
        cycle, counts = schedule.plan_year(
            form.cleaned_data["school_year"], form.cleaned_data["preset"], acting_user=request.user
        )
    except schedule.PlanningError as exc:
        messages.error(request, str(exc))
        return redirect("meetings:year")
    messages.success(
        request,
        f"{cycle.name} for {cycle.school_year}: {counts['created']} meetings created, "
        f"{counts['changed']} changed, {counts['unchanged']} unchanged.",
    )
    return redirect(reverse("meetings:year") + f"?year={cycle.school_year.name}")


OWNER_ROLES = DISTRICT_LEADERS | ACTION_TEAMS | {R.BOARD_MEMBER}


class ItemForm(forms.ModelForm):
    class Meta:
        model = MeetingItem
        fields = ["kind", "text", "owner", "due_date"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # an owner must be able to see the meeting the commitment was made at
        keep = self.instance.owner if self.instance.pk else None
        self.fields["owner"] = PersonField(
            meeting, "view", OWNER_ROLES, keep=keep, required=False, label="Owner"
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == MeetingItem.Kind.COMMITMENT and not (
            data.get("owner") and data.get("due_date")
        ):
            raise forms.ValidationError("A commitment needs an owner and a due date.")
        return data


class MoveForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200)


@requires("meetings.view")
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, pk)


def _meeting_page(
    request: HttpRequest, pk: int, item_form: ItemForm | None = None, status: int = 200
) -> HttpResponse:
    """The meeting's page; `item_form`, a form that could not be saved, is shown as typed with
    its errors (once, beside the fields)."""
    user = request.user
    obj = get_visible_or_404(
        Meeting.objects.select_related("rule", "priority", "cycle__school_year"), user, pk=pk
    )
    access = access_for(user)
    board_only = _board_only(access)
    data = pack.assemble(obj, user=user, board=board_only)
    previous, decisions, commitments = pack.carried(obj, user)
    updates = data.updates if not board_only else pack.month_updates(obj, user)
    if access.can("actionplans.view"):
        focus_plans = list(
            ActionPlan.objects.visible_to(user)
            .filter(team__priority=obj.priority, school_year=obj.cycle.school_year.name)
            .select_related("team")
            .prefetch_related("actions__owner")
        )
    else:
        focus_plans = []
    can_record = allowed(user, MeetingItem(meeting=obj))
    can_change = allowed(user, obj)
    initiatives = list(obj.priority.initiatives.all()) if obj.priority_id else []
    answered = answers_for(user, [i.pk for i in initiatives])
    answers = [(i, answered[i.pk]) for i in initiatives if i.pk in answered]
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": obj,
            "pack": data,
            "chart_specs": [c.spec for c in data.charts],
            "items": obj.items.select_related("owner", "created_by").order_by(
                "kind", "created_at", "pk"
            ),
            "previous": previous,
            "decisions": decisions,
            "commitments": commitments,
            "updates": updates,
            "focus_plans": focus_plans,
            "today": timezone.localdate(),
            "item_form": (item_form or ItemForm(meeting=obj)) if can_record else None,
            "move_form": MoveForm(initial={"date": obj.date}) if can_change else None,
            "attendees_form": AttendeesForm(initial={"attendees": obj.attendees.all()}, meeting=obj)
            if can_change
            else None,
            "attendees": obj.attendees.order_by("last_name", "username"),
            "board_only": board_only,
            "answers": answers,
        },
        status=status,
    )


@requires("meetings.record")
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(Meeting.objects, request.user, pk=pk)
    form = ItemForm(request.POST, meeting=obj)
    if not form.is_valid():
        return _meeting_page(request, pk, item_form=form, status=400)
    item = actions.record_item(obj, form.save(commit=False), acting_user=request.user)
    messages.success(request, f"{item.get_kind_display()} recorded.")
    return redirect(reverse("meetings:meeting", args=[pk]) + "#record")


def _recorded_item(request: HttpRequest, pk: int, item: int) -> tuple[Meeting, MeetingItem]:
    obj = get_visible_or_404(
        Meeting.objects.select_related("rule", "priority"), request.user, pk=pk
    )
    found = MeetingItem.objects.filter(pk=item, meeting=obj).select_related("owner").first()
    if found is None:
        raise Http404("No such item in this meeting's record.")
    if not allowed(request.user, found):
        raise PermissionDenied("Only those who keep this meeting's record may change it.")
    return obj, found


@requires("meetings.record")
def edit_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    obj, found = _recorded_item(request, pk, item)
    form = ItemForm(request.POST or None, instance=found, meeting=obj)
    if request.method == "POST" and form.is_valid():
        # the form has written into `found` already: the change starts from the stored row,
        # so that the audit entry's "before" is what was recorded
        stored = MeetingItem.objects.get(pk=found.pk)
        actions.change_item(stored, form.cleaned_data, acting_user=request.user)
        messages.success(request, f"{found.get_kind_display()} saved.")
        return redirect(reverse("meetings:meeting", args=[pk]) + "#record")
    return render(
        request,
        "meetings/item_edit.html",
        {"meeting": obj, "item": found, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("meetings.record")
@require_POST
def delete_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    _, found = _recorded_item(request, pk, item)
    actions.remove_item(found, acting_user=request.user)
    messages.success(request, f"{found.get_kind_display()} removed from the record.")
    return redirect(reverse("meetings:meeting", args=[pk]) + "#record")


@requires("meetings.record")
@require_POST
def close_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    obj = get_visible_or_404(Meeting.objects, request.user, pk=pk)
    found = get_object_or_404(
        MeetingItem,
        pk=item,
        kind=MeetingItem.Kind.COMMITMENT,
        meeting__in=Meeting.objects.visible_to(request.user).filter(cycle=obj.cycle),
    )
    actions.close_commitment(obj, found, acting_user=request.user)
    messages.success(request, "Commitment closed.")
    return redirect("meetings:meeting", pk)


@requires("meetings.change")
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(Meeting.objects, request.user, pk=pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        schedule.move_meeting(
            obj, form.cleaned_data["date"], form.cleaned_data["reason"], acting_user=request.user
        )
        messages.success(request, "Meeting moved; calendar subscribers get the new date.")
        same_day = (
            Meeting.objects.visible_to(request.user)
            .filter(date=obj.date)
            .exclude(pk=obj.pk)
            .exclude(state=Meeting.State.CANCELLED)
            .select_related("rule", "priority")
        )
        for other in same_day:
            messages.warning(
                request,
                f"{obj.date:%A %-d %B} is also the day of {other.title}: check that the same "
                "people are not expected at both.",
            )
    else:
        messages.error(request, "Give the new date and the reason for the move.")
    return redirect("meetings:meeting", pk)


def _pack_for(request: HttpRequest, pk: int) -> pack.Pack:
    obj = get_visible_or_404(
        Meeting.objects.select_related("rule", "priority"), request.user, pk=pk
    )
    board = request.GET.get("version") == "board" or _board_only(access_for(request.user))
    return pack.assemble(obj, user=request.user, board=board)


def _board_only(access) -> bool:
    """Everyone below the district leaders gets packs with district aggregates only."""
    return not access.has_role(*DISTRICT_LEADERS)


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pack_name(data: pack.Pack, ext: str) -> str:
    m = data.meeting
    version = "-board" if data.board else ""
    return f"{m.date:%Y-%m-%d}-{slugify(m.rule.name)}-{slugify(m.priority.name)}{version}.{ext}"


@requires("meetings.view")
def pack_pptx(request: HttpRequest, pk: int) -> HttpResponse:
    data = _pack_for(request, pk)
    return _download(
        pack.to_pptx(data),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _pack_name(data, "pptx"),
    )


@requires("meetings.view")
def pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    data = _pack_for(request, pk)
    return _download(pack.to_pdf(data), "application/pdf", _pack_name(data, "pdf"))


# ------------------------------------------------------------------------ calendar feeds


def _calendar_response(meetings, name: str) -> HttpResponse:
    response = HttpResponse(
        ics.calendar(meetings, name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{slugify(name)}.ics"'
    return response


def _user_meetings(user):
    return (
        Meeting.objects.visible_to(user).filter(attendees=user).select_related("rule", "priority")
    )


@requires("meetings.view")
def feeds(request: HttpRequest) -> HttpResponse:
    token = FeedToken.objects.filter(user=request.user).first()
    if request.method == "POST":
        actions.renew_feed_token(acting_user=request.user)
        messages.success(request, "New calendar address made; the old one no longer works.")
        return redirect("meetings:feeds")
    teams = (
        ActionTeam.objects.visible_to(request.user)
        if access_for(request.user).can("actionplans.view")
        else ActionTeam.objects.none()
    )
    base = request.build_absolute_uri("/")[:-1]
    return render(
        request,
        "meetings/feeds.html",
        {
            "token": token,
            "user_url": base + reverse("meetings:user_feed", args=[token.token]) if token else "",
            "team_urls": [
                (t, base + reverse("meetings:team_feed", args=[token.token, t.pk])) for t in teams
            ]
            if token
            else [],
        },
    )


@requires("meetings.view")
def my_calendar(request: HttpRequest) -> HttpResponse:
    return _calendar_response(
        _user_meetings(request.user), f"Meetings of {request.user.get_username()}"
    )


def _feed_user(token: str):
    found = FeedToken.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active or not access_for(found.user).can("meetings.view"):
        raise Http404("No such calendar.")
    return found.user


def user_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = _feed_user(token)
    return _calendar_response(
        _user_meetings(user), f"District PM: {user.get_full_name() or user.username}"
    )


def team_feed(request: HttpRequest, token: str, team: int) -> HttpResponse:
    user = _feed_user(token)
    found = ActionTeam.objects.visible_to(user).filter(pk=team).select_related("priority").first()
    if found is None:
        raise Http404("No such calendar.")
    meetings = (
        Meeting.objects.visible_to(user)
        .filter(Q(priority=found.priority) | Q(rule__kind="engage"))
        .select_related("rule", "priority")
    )
    return _calendar_response(meetings, f"District PM: {found.name}")


# A calendar client cannot sign in: these feeds are reached by the secret in their address,
# which belongs to one user and shows only what that user may see.
user_feed.access_rule = "feed token"  # type: ignore[attr-defined]
team_feed.access_rule = "feed token"  # type: ignore[attr-defined]


@requires("meetings.change")
def cycle_settings(request: HttpRequest, pk: int) -> HttpResponse:
    from districtpm.meetings.forms import MonthsForm, RuleFormSet
    from districtpm.plans.models import Priority

    cycle = get_visible_or_404(Cycle.objects.select_related("school_year"), request.user, pk=pk)
    priorities = Priority.objects.filter(
        plan__in=Priority.objects.filter(pk__in=cycle.months.values("priority_id")).values(
            "plan_id"
        )
    )
    data = request.POST if request.method == "POST" else None
    rules = RuleFormSet(data, queryset=cycle.rules.all(), prefix="rules")
    months = MonthsForm(data, cycle=cycle, priorities=priorities)
    if request.method == "POST" and rules.is_valid() and months.is_valid():
        focus = {m.pk: months.cleaned_data[f"focus_{m.pk}"] for m in months.months}
        counts = schedule.save_settings(
            cycle,
            [f.instance for f in rules.forms],
            focus,
            months.cleaned_data["skip_months"],
            acting_user=request.user,
        )
        messages.success(
            request,
            f"Settings saved and the year planned again: {counts['created']} meetings created, "
            f"{counts['changed']} changed, {counts['removed']} removed. Calendars follow.",
        )
        return redirect(reverse("meetings:year") + f"?year={cycle.school_year.name}")
    return render(
        request,
        "meetings/settings.html",
        {"cycle": cycle, "rules": rules, "months": months},
        status=400 if request.method == "POST" else 200,
    )


@requires("meetings.change")
@require_POST
def set_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a meeting held, cancelled, or scheduled again; calendars show a cancellation."""
    obj = get_visible_or_404(Meeting.objects, request.user, pk=pk)
    state = request.POST.get("state")
    if state not in Meeting.State.values:
        messages.error(request, "Choose held, cancelled or scheduled.")
        return redirect("meetings:meeting", pk)
    actions.set_meeting_state(obj, state, acting_user=request.user)
    messages.success(request, f"Meeting marked {obj.get_state_display().lower()}.")
    return redirect("meetings:meeting", pk)


class AttendeesForm(forms.Form):
    attendees = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Planning the year again resets upcoming meetings to the invited roles.",
    )

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # those who may see the meeting, by name, position and school; anyone invited already
        # stays listed, so that they can be taken off
        invited = list(meeting.attendees.values_list("pk", flat=True))
        offered = candidates(meeting, "view", OWNER_ROLES).values_list("pk", flat=True)
        self.fields["attendees"].queryset = (
            get_user_model()
            .objects.filter(pk__in=[*offered, *invited])
            .order_by("last_name", "first_name", "username")
        )
        self.fields["attendees"].label_from_instance = person_label


@requires("meetings.change")
@require_POST
def attendees(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(Meeting.objects, request.user, pk=pk)
    form = AttendeesForm(request.POST, meeting=obj)
    if not form.is_valid():
        messages.error(request, "Choose the people who attend.")
        return redirect("meetings:meeting", pk)
    after = actions.set_attendees(obj, form.cleaned_data["attendees"], acting_user=request.user)
    messages.success(request, f"{len(after)} attendees.")
    return redirect("meetings:meeting", pk)


@requires("meetings.change")
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    """Send now the reminders the daily `cycles remind` run would send today."""
    from districtpm.meetings.reminders import send_reminders

    try:
        sent = send_reminders(acting_user=request.user)
    except OSError:  # the mail server refused or could not be reached
        # The details (host, port, errno) are for the log, not for the page.
        logger.warning("Reminders not sent: the mail server failed", exc_info=True)
        messages.error(
            request,
            "No reminder could be sent: the mail server could not be reached or refused the "
            "messages. Nothing was recorded as sent; try again later or tell your district admin.",
        )
    else:
        if sent:
            names = ", ".join(sorted({r.team.name for r in sent}))
            messages.success(request, f"{len(sent)} reminder(s) sent: {names}.")
        else:
            messages.info(
                request,
                "No reminder to send: no Explore in the next three days "
                "is missing an update, or its leads were reminded already.",
            )
    return redirect("meetings:year")
