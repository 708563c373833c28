"""Action team pages: the teams, a team's plan and updates, the monthly update form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from districtpm.accounts.people import PersonField, person_label
from districtpm.actionplans import actions, timeline
from districtpm.actionplans.models import RATINGS, ActionPlan, ActionTeam, PlanAction, StatusUpdate
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS
from districtpm.core.scoping import allowed
from districtpm.org.models import SchoolYear


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value).replace(day=1)
    except ValueError as exc:
        raise Http404("Not a month.") from exc


def _current_year_name() -> str | None:
    year = SchoolYear.objects.current()
    return year.name if year else None


@requires("actionplans.view")
def home(request: HttpRequest) -> HttpResponse:
    month = actions.month_start(timezone.localdate())
    teams = list(ActionTeam.objects.visible_to(request.user).select_related("priority", "lead"))
    updates = {u.team_id: u for u in StatusUpdate.objects.filter(month=month, team__in=teams)}
    for t in teams:
        t.this_month = updates.get(t.pk)
    return render(
        request,
        "actionplans/home.html",
        {
            "teams": teams,
            "month": month,
            "can_manage": allowed(request.user, ActionTeam),
        },
    )


class UpdateForm(forms.ModelForm):
    class Meta:
        model = StatusUpdate
        fields = ["timeline", "scope", "resources", "narrative"]
        widgets = {
            "timeline": forms.RadioSelect,
            "scope": forms.RadioSelect,
            "resources": forms.RadioSelect,
            "narrative": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"narrative": "What moved, what is stuck, and what the team needs."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("timeline", "scope", "resources"):
            # three ratings to choose from, none chosen for the team: no "---------" choice
            self.fields[name].choices = list(RATINGS)


class ActionForm(forms.ModelForm):
    """An action of a plan: its owner among the people who may work on the plan, and the
    initiative and goal of the team's priority it carries out."""

    class Meta:
        model = PlanAction
        fields = [
            "name",
            "milestone",
            "owner",
            "start_date",
            "due_date",
            "percent_complete",
            "status",
            "resources",
            "initiative",
            "goal",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "percent_complete": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 5}),
        }

    def __init__(self, *args, plan: ActionPlan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        owner = self.instance.owner if self.instance.pk else None
        # who may own an action: whoever may read the plan (the team and the district leaders)
        self.fields["owner"] = PersonField(
            plan, "view", DISTRICT_LEADERS | ACTION_TEAMS, keep=owner, required=False
        )
        priority = plan.team.priority
        self.fields["initiative"].queryset = priority.initiatives.order_by("name")
        self.fields["goal"].queryset = priority.goals.order_by("statement")
        self.fields["goal"].label_from_instance = lambda g: g.statement
        self.fields["percent_complete"].required = False

    def clean_percent_complete(self) -> int:
        return self.cleaned_data.get("percent_complete") or 0


class CloseYearForm(forms.Form):
    evaluation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the team achieved this year, what it did not, and why.",
    )


def _may_close(plan: ActionPlan) -> bool:
    opens = actions.closing_opens(plan.school_year)
    return opens is None or timezone.localdate() >= opens


def _update_month(today: dt.date) -> dt.date:
    """The month whose update is asked for next: the one the meeting cycle says is reviewed
    next (the next Explore's), or this calendar month when no cycle has said."""
    return actions.next_review_month(today) or actions.month_start(today)


@requires("actionplans.view")
def team(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(
        ActionTeam.objects.select_related("priority", "lead"), request.user, pk=pk
    )
    year = request.GET.get("year") or _current_year_name()
    plan = ActionPlan.objects.filter(team=obj, school_year=year).first()
    plan_actions = list(plan.actions.select_related("owner", "initiative", "goal")) if plan else []
    can_change = allowed(request.user, ActionPlan(team=obj), "change")
    return render(
        request,
        "actionplans/team.html",
        {
            "team": obj,
            "plan": plan,
            "year": year,
            "actions": plan_actions,
            "updates": obj.updates.select_related("submitted_by")[:12],
            "members": obj.members.order_by("last_name"),
            "can_change": can_change,
            "can_update": allowed(request.user, StatusUpdate(team=obj), "change"),
            "action_form": ActionForm(plan=plan) if can_change and plan else None,
            "timeline": timeline.draw(plan_actions, timezone.localdate()) if plan_actions else "",
            "close_form": CloseYearForm()
            if can_change and plan and not plan.evaluated_at and _may_close(plan)
            else None,
            "closing_opens": actions.closing_opens(plan.school_year) if plan else None,
            "this_month": _update_month(timezone.localdate()),
            "can_manage": allowed(request.user, ActionTeam),
        },
    )


@requires("actionplans.view")
def update(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects.select_related("priority"), request.user, pk=pk)
    first = _month(month)
    existing = StatusUpdate.objects.filter(team=obj, month=first).first()
    form = UpdateForm(request.POST or None, instance=existing)
    may_update = allowed(request.user, StatusUpdate(team=obj), "change")
    if request.method == "POST":
        if not may_update:
            raise PermissionDenied("Only the team's lead or members send its update.")
        if form.is_valid():
            actions.submit_update(obj, first, form.cleaned_data, acting_user=request.user)
            messages.success(request, f"Status update for {first:%B %Y} saved.")
            return redirect("actionplans:team", pk)
    previous = (
        StatusUpdate.objects.filter(team=obj, month__lt=first)
        .select_related("submitted_by")
        .order_by("-month")
        .first()
    )
    return render(
        request,
        "actionplans/update.html",
        {
            "team": obj,
            "month": first,
            "form": form,
            "existing": existing,
            "allowed": may_update,
            "previous": previous,
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("actionplans.change")
@require_POST
def add_action(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk)
    plan = ActionPlan.objects.filter(team=obj, school_year=_current_year_name()).first()
    form = ActionForm(request.POST, plan=plan) if plan else None
    if plan is None:
        messages.error(request, "This team has no plan for the current school year.")
    elif form.is_valid():
        actions.save_action(plan, None, form.cleaned_data, acting_user=request.user)
        messages.success(request, "Action added.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("actionplans:team", pk)


@requires("actionplans.change")
@require_POST
def action_status(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk)
    found = PlanAction.objects.filter(pk=action, plan__team=obj).first()
    status = request.POST.get("status")
    if found is None:
        raise Http404("No such action.")
    if status not in PlanAction.Status.values:
        messages.error(request, "Choose a status.")
    else:
        actions.save_action(found.plan, found, {"status": status}, acting_user=request.user)
        messages.success(request, f"{found.name}: {found.get_status_display()}.")
    return redirect("actionplans:team", pk)


@requires("actionplans.change")
def action_edit(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    """Every field of an action; what was typed stays on the page when it cannot be saved."""
    obj = get_visible_or_404(ActionTeam.objects.select_related("priority"), request.user, pk=pk)
    found = PlanAction.objects.filter(pk=action, plan__team=obj).select_related("plan").first()
    if found is None:
        raise Http404("No such action.")
    form = ActionForm(request.POST or None, instance=found, plan=found.plan)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ActionForm.Meta.fields}
        # the form has written into `found` already: the change starts from the stored row,
        # so that the audit entry's "before" is what the action was
        stored = PlanAction.objects.get(pk=found.pk)
        actions.save_action(found.plan, stored, data, acting_user=request.user)
        messages.success(request, f"{found.name} saved.")
        return redirect("actionplans:team", pk)
    return render(
        request,
        "actionplans/action_edit.html",
        {"team": obj, "action": found, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("actionplans.change")
@require_POST
def action_delete(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk)
    found = PlanAction.objects.filter(pk=action, plan__team=obj).first()
    if found is None:
        raise Http404("No such action.")
    actions.remove_action(found, acting_user=request.user)
    messages.success(request, f"{found.name} removed.")
    return redirect("actionplans:team", pk)


@requires("actionplans.change")
@require_POST
def close_year(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk)
    plan = ActionPlan.objects.filter(team=obj, school_year=request.POST.get("year")).first()
    form = CloseYearForm(request.POST)
    if plan is None or not form.is_valid():
        messages.error(request, "Write the year-end evaluation before closing the year.")
        return redirect("actionplans:team", pk)
    try:
        nxt = actions.close_year(plan, form.cleaned_data["evaluation"], acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("actionplans:team", pk)
    messages.success(
        request,
        f"{plan.school_year} closed; {nxt.actions.count()} open actions carried into {nxt.school_year}.",
    )
    return redirect("actionplans:team", pk)


class TeamForm(forms.ModelForm):
    class Meta:
        model = ActionTeam
        fields = ["priority", "name", "lead", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}
        help_texts = {
            "name": "Shown on the team's pages, reminders and calendars; renaming it changes nobody's access.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from districtpm.plans.models import Priority

        self.fields["priority"].queryset = Priority.objects.select_related("plan")
        people = (
            get_user_model()
            .objects.filter(is_active=True)
            .order_by("last_name", "first_name", "username")
        )
        # who may lead a team: a district leader or one who holds an action team's role; who
        # may join one: those who hold an action team's role
        self.fields["lead"].queryset = people.filter(
            role_assignments__role__in=ACTION_TEAMS | DISTRICT_LEADERS
        ).distinct()
        self.fields["members"].queryset = people.filter(
            role_assignments__role__in=ACTION_TEAMS
        ).distinct()
        self.fields["members"].required = False
        for name in ("lead", "members"):
            self.fields[name].label_from_instance = person_label


@requires("actionplans.teams")
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        saved = actions.save_team(form, acting_user=request.user)
        messages.success(request, f"{saved.name} saved.")
        return redirect("actionplans:team", saved.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"Edit {obj}" if obj else "New action team",
            "cancel": "/action-plans/",
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("actionplans.change")
@require_POST
def start_plan(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(ActionTeam.objects, request.user, pk=pk)
    year = _current_year_name()
    if year is None:
        messages.error(request, "There is no current school year on the calendar.")
    else:
        actions.start_plan(obj, year, request.POST.get("objective", ""), acting_user=request.user)
        messages.success(request, f"The {year} action plan is started: add its actions.")
    return redirect("actionplans:team", pk)
