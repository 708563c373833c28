"""Browsing the audit log. There is deliberately no way to edit or delete an entry."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from districtpm.audit.log import withhold_details, without_private_actions
from districtpm.audit.models import AuditEntry, action_label
from districtpm.core.access import requires


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@requires("audit.view")
@require_safe
def entries(request: HttpRequest) -> HttpResponse:
    qs = without_private_actions(AuditEntry.objects.all(), request.user)
    actor = request.GET.get("actor", "").strip()
    action = request.GET.get("action", "").strip()
    obj = request.GET.get("object", "").strip()
    since = _date(request.GET.get("since", ""))
    until = _date(request.GET.get("until", ""))
    if actor:
        qs = qs.filter(actor_username__icontains=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if obj:
        qs = qs.filter(object_repr__icontains=obj)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    withhold_details(page.object_list, request.user)
    actions = (
        without_private_actions(AuditEntry.objects.all(), request.user)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
    context = {
        "page": page,
        "actor": actor,
        "action": action,
        "object": obj,
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        "actions": [(a, action_label(a)) for a in actions],
    }
    template = "audit/_rows.html" if request.headers.get("HX-Request") else "audit/list.html"
    return render(request, template, context)
