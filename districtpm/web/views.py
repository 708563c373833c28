"""The shell: home page per role, the capability pages still to be built, health."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from districtpm.accounts.models import CaseloadEntry, RoleAssignment
from districtpm.core.access import public, requires
from districtpm.core.scoping import access_for, allowed, parents_reached
from districtpm.org.models import Network, School, SchoolYear, Staff


@requires("authenticated")
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    assignments = list(
        RoleAssignment.objects.filter(user=request.user).select_related("school", "network")
    )
    context = {
        "assignments": assignments,
        "no_role": not assignments and not request.user.is_superuser,
        "own_staff": Staff.objects.visible_to(request.user).filter(pk=access.own_staff_id).first()
        if access.own_staff_id
        else None,
        "my_schools": School.objects.visible_to(request.user)
        .filter(id__in=access.school_ids)
        .select_related("network"),
        "my_networks": Network.objects.visible_to(request.user).filter(id__in=access.network_ids),
        "caseload": CaseloadEntry.objects.filter(evaluator=request.user)
        .select_related("staff", "school_year")
        .order_by("staff__last_name")[:50],
        "current_year": SchoolYear.objects.visible_to(request.user).current(),
        "district_wide": bool(access.district_wide_roles) or access.is_superuser,
        "school_count": School.objects.visible_to(request.user).count(),
        "can_see_org": access.can("org.view"),
        "can_import_org": allowed(request.user, School, "import"),
        "roles": access.roles,
        **_meetings_and_updates(request.user, access),
    }
    context.update(_scorecards(request.user, access, context))
    return render(request, "web/home.html", context)


def _scorecards(user, access, context: dict) -> dict:
    """The scorecards the user's home leads straight to: their schools', their networks' and,
    for a district-wide role, the district's (none before there is a plan)."""
    if not access.can("plan.view"):
        return {}
    from districtpm.plans.models import Plan
    from districtpm.plans.scorecard import scorecard_codes

    if not Plan.objects.visible_to(user).exists():
        return {}
    codes = scorecard_codes(user)
    return {
        "school_cards": {
            s.pk for s in context["my_schools"] if codes is None or s.code in codes[0]
        },
        "network_cards": {
            n.pk for n in context["my_networks"] if codes is None or n.code in codes[1]
        },
        "district_card": context["district_wide"],
    }


def _meetings_and_updates(user, access) -> dict:
    """The user's next meetings, and their teams' updates still to send before Explore."""
    if not access.can("meetings.view"):
        return {}
    from django.utils import timezone

    from districtpm.actionplans.models import ActionTeam, StatusUpdate
    from districtpm.meetings.models import Meeting

    today = timezone.localdate()
    upcoming = (
        Meeting.objects.visible_to(user)
        .filter(attendees=user, date__gte=today)
        .exclude(state=Meeting.State.CANCELLED)
        .select_related("rule", "priority")[:3]
    )
    owed = []
    explore = Meeting.objects.filter(rule__kind="explore", date__gte=today).order_by("date").first()
    if explore and access.can("actionplans.view"):
        sent = StatusUpdate.objects.filter(month=explore.focus_month).values("team_id")
        senders = parents_reached(StatusUpdate, user, "change").values("pk")
        owed = list(ActionTeam.objects.visible_to(user).exclude(id__in=sent).filter(id__in=senders))
    return {"next_meetings": upcoming, "owed_updates": owed, "next_explore": explore}


@requires("authenticated")
def people_search(request: HttpRequest) -> HttpResponse:
    """The options of a people picker that match what was typed (accounts/people.py)."""
    from districtpm.accounts.people import person_label, search

    found = search(request.user, request.GET.get("token", ""), request.GET.get("q", ""))
    return render(
        request, "accounts/person_options.html", {"people": [(p, person_label(p)) for p in found]}
    )


@public
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
