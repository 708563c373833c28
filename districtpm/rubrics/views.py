"""Rubric pages: they read through `visible_to` (and the two depths of rules.py) and write
through actions.py."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.intake import InputRefused
from districtpm.core.scoping import access_for, allowed, restrict
from districtpm.org.models import Designation, Network, School, SchoolYear
from districtpm.rubrics import actions, documents, results, rules
from districtpm.rubrics.forms import (
    AssessmentForm,
    ImportForm,
    IndicatorForm,
    ReasonForm,
    check_evidence_file,
)
from districtpm.rubrics.models import (
    Assessment,
    FinalRating,
    Framework,
    Indicator,
    Level,
    Member,
    Rating,
    WorkLink,
)
from districtpm.rubrics.parse import FrameworkProblems, ParsedFramework, parse_file, parse_text

PREVIEWS = "rubrics_previews"


def _reads_whole(user: Any, assessment: Assessment) -> bool:
    """Whether the user reads the assessment whole (team, ratings, evidence); a superuser is
    held to the rules like everyone (rules.py)."""
    condition = rules.whole(access_for(user))
    return condition is not None and Assessment.objects.filter(condition, pk=assessment.pk).exists()


def _sees_team_work(user: Any, assessment: Assessment) -> bool:
    """Whether the user sees every member's ratings: the rule that scopes ratings says
    (rules.team_work: not rating in it, or submitted, revealed or final)."""
    shown = rules.team_work(access_for(user))
    return shown is not None and Assessment.objects.filter(id__in=shown, pk=assessment.pk).exists()


def _number(value: str | None) -> int:
    """A whole number from a query or a form, 0 for anything else (so it finds nothing)."""
    return int(value) if value and value.isdigit() and len(value) < 10 else 0


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- the section's home


@requires("rubrics.view")
def home(request: HttpRequest) -> HttpResponse:
    visible = (
        Assessment.objects.visible_to(request.user)
        .select_related("version__framework", "school", "school_year")
        .annotate(
            team_size=Count("members", distinct=True),
            submitted=Count(
                "members", filter=Q(members__submitted_at__isnull=False), distinct=True
            ),
        )
        .order_by("-school_year__start_date", "version__framework__kind", "school__name")
    )
    year = request.GET.get("year", "")
    if year:
        visible = visible.filter(school_year__name=year)
    page = Paginator(visible, 50).get_page(request.GET.get("page"))
    unlinked = []
    if access_for(request.user).can("rubrics.manage"):
        unlinked = list(
            FinalRating.objects.visible_to(request.user)
            .filter(
                assessment__status=Assessment.Status.FINAL,
                links__isnull=True,
                level__order__lte=F("assessment__version__framework__weak_through"),
            )
            .select_related(
                "indicator",
                "level",
                "assessment__school",
                "assessment__school_year",
                "assessment__version__framework",
            )
            .order_by("-assessment__school_year__start_date", "assessment__school__name")[:100]
        )
    years = SchoolYear.objects.order_by("-start_date").values_list("name", flat=True)
    mine = set(
        Member.objects.filter(
            user=request.user, submitted_at__isnull=True, assessment__status="open"
        ).values_list("assessment_id", flat=True)
    )
    return render(
        request,
        "rubrics/home.html",
        {
            "page": page,
            "years": years,
            "year": year,
            "unlinked": unlinked,
            "mine": mine,
            "can_open": access_for(request.user).can("rubrics.assess"),
            "can_manage": access_for(request.user).can("rubrics.manage"),
            "can_results": access_for(request.user).can("rubrics.results"),
        },
    )


# ---------------------------------------------------------------- frameworks


@requires("rubrics.view")
def frameworks(request: HttpRequest) -> HttpResponse:
    rows = Framework.objects.visible_to(request.user).annotate(
        version_count=Count("versions", distinct=True)
    )
    return render(
        request,
        "rubrics/frameworks.html",
        {"frameworks": rows, "can_manage": allowed(request.user, Framework)},
    )


@requires("rubrics.view")
def framework(request: HttpRequest, pk: int) -> HttpResponse:
    fw = get_visible_or_404(Framework.objects, request.user, pk=pk)
    versions = list(fw.versions.annotate(uses=Count("assessments")))
    if not versions:
        raise Http404("This framework has no content.")
    number = request.GET.get("version")
    version = next((v for v in versions if str(v.number) == number), versions[0])
    levels, blocks, _ = results.content(version)
    return render(
        request,
        "rubrics/framework.html",
        {
            "framework": fw,
            "version": version,
            "versions": versions,
            "levels": levels,
            "blocks": blocks,
            "can_change": allowed(request.user, fw) and version == versions[0],
            "can_manage": allowed(request.user, fw),
        },
    )


@requires("rubrics.manage")
@require_POST
def framework_weak(request: HttpRequest, pk: int) -> HttpResponse:
    fw = get_visible_or_404(Framework.objects, request.user, pk=pk)
    value = request.POST.get("weak_through", "")
    try:
        actions.set_weak_through(
            fw, int(value) if value.isdigit() else -1, acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Saved which final ratings count as weak.")
    return redirect("rubrics:framework", fw.pk)


@requires("rubrics.view")
def framework_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    fw = get_visible_or_404(Framework.objects, request.user, pk=pk)
    version = fw.versions.filter(number=_number(request.GET.get("version"))).first() or fw.current
    if version is None:
        raise Http404("This framework has no content.")
    data = documents.framework_xlsx(version)
    response = HttpResponse(data, content_type=documents.XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(fw.name)}-v{version.number}.xlsx"'
    )
    return response


@requires("rubrics.view")
def framework_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    fw = get_visible_or_404(Framework.objects, request.user, pk=pk)
    version = fw.versions.filter(number=_number(request.GET.get("version"))).first() or fw.current
    if version is None:
        raise Http404("This framework has no content.")
    response = HttpResponse(documents.framework_pdf(version), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(fw.name)}-v{version.number}.pdf"'
    )
    return response


def _parsed_from_json(data: dict) -> ParsedFramework:
    from districtpm.rubrics.parse import ParsedDomain, ParsedIndicator

    levels = [lv["name"] for lv in data["levels"]]
    return ParsedFramework(
        name=data["name"],
        levels=levels,
        domains=[
            ParsedDomain(
                d["name"],
                [
                    ParsedIndicator(i["name"], [i["descriptors"][lv] for lv in levels], 0)
                    for i in d["indicators"]
                ],
            )
            for d in data["domains"]
        ],
        evidence=[lv["evidence_expected"] for lv in data["levels"]],
    )


@requires("rubrics.manage")
def framework_import(request: HttpRequest) -> HttpResponse:
    """Read a file or pasted text, show what was read, and save it only once confirmed."""
    managed = Framework.objects.restrict(request.user, "change")
    previews = request.session.get(PREVIEWS, {})
    if request.method == "POST" and request.POST.get("confirm"):
        token = request.POST["confirm"]
        held = previews.pop(token, None)
        request.session[PREVIEWS] = previews
        if held is None:
            messages.error(request, "That preview has expired; read the file again.")
            return redirect("rubrics:import")
        target = managed.filter(pk=held["framework"]).first() if held["framework"] else None
        try:
            version = actions.import_framework(
                _parsed_from_json(held["parsed"]),
                kind=held["kind"],
                framework=target,
                acting_user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("rubrics:import")
        messages.success(request, f"Saved {version}.")
        return redirect("rubrics:framework", version.framework_id)
    form = ImportForm(request.POST or None, request.FILES or None, frameworks=managed)
    problems: list = []
    preview = None
    token = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["file"]:
                upload = data["file"]
                parsed = parse_file(upload.read(), name=upload.name, title=data["name"])
            else:
                parsed = parse_text(data["text"], title=data["name"])
        except FrameworkProblems as exc:
            problems = exc.problems
        except InputRefused as exc:
            problems = [str(exc)]
        else:
            if data["framework"]:
                parsed.name = data["framework"].name
            preview = parsed
            token = secrets.token_urlsafe(12)
            previews = dict(list(previews.items())[-4:])  # a few previews at most per session
            previews[token] = {
                "parsed": parsed.as_json(),
                "kind": data["framework"].kind if data["framework"] else data["kind"],
                "framework": data["framework"].pk if data["framework"] else None,
            }
            request.session[PREVIEWS] = previews
    return render(
        request,
        "rubrics/import.html",
        {"form": form, "problems": problems, "preview": preview, "token": token},
    )


@requires("rubrics.manage")
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(
        Indicator.objects.select_related("domain__version__framework"), pk=pk
    )
    version = indicator.domain.version
    if not allowed(request.user, version):
        raise PermissionDenied("Your role does not allow changing frameworks.")
    levels = list(version.levels.all())
    texts = [d.text for d in indicator.descriptors.order_by("level__order")]
    form = IndicatorForm(
        request.POST or None, levels=levels, initial_texts=texts, initial={"name": indicator.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.change_indicator(
                indicator,
                name=form.cleaned_data["name"],
                descriptors=form.descriptors(),
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            new_version = changed.domain.version
            if new_version.pk != version.pk:
                messages.success(
                    request,
                    f"Version {version.number} is in use, so the change is version "
                    f"{new_version.number}; past assessments keep the descriptors they were rated on.",
                )
            else:
                messages.success(request, "Indicator changed.")
            return redirect("rubrics:framework", version.framework_id)
    return render(
        request,
        "rubrics/indicator_form.html",
        {"form": form, "indicator": indicator, "version": version, "in_use": version.in_use},
    )


# ---------------------------------------------------------------- assessments


@requires("rubrics.assess")
def assessment_new(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    reach = rules.opening_schools(access)
    schools = School.objects.filter(reach) if reach is not None else School.objects.none()
    frameworks_qs = Framework.objects.visible_to(request.user)
    if not access.can("rubrics.manage"):
        frameworks_qs = frameworks_qs.filter(kind=Framework.Kind.SCHOOL)
    from districtpm.core.roles import roles_with

    people = (
        User.objects.filter(is_active=True, role_assignments__role__in=roles_with("rubrics.view"))
        .distinct()
        .order_by("last_name", "username")
    )
    form = AssessmentForm(
        request.POST or None,
        frameworks=frameworks_qs,
        schools=schools,
        years=SchoolYear.objects.all(),
        people=people,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = actions.open_assessment(
                data["framework"].current,
                school=data["school"],
                school_year=data["school_year"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                facilitator=data["facilitator"],
                team=data["team"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Assessment opened; its team can rate now.")
            return redirect("rubrics:assessment", assessment.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": "Open an assessment", "cancel": "/rubrics/"},
    )


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_visible_or_404(
        Assessment.objects.select_related(
            "version__framework", "school", "school_year", "facilitator"
        ),
        request.user,
        pk=pk,
    )


@requires("rubrics.view")
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    whole = _reads_whole(request.user, a)
    levels, blocks, rows = results.assessment_view(a, request.user, whole=whole)
    from districtpm.rubrics.uses import uses_for

    used = uses_for(request.user, [row.final.pk for row in rows.values() if row.final])
    for row in rows.values():
        row.uses = used.get(row.final.pk, []) if row.final else []
    member = a.members.filter(user=request.user).first()
    team = list(a.members.select_related("user")) if whole else []
    can_rate = member is not None and allowed(request.user, Rating(member=member))
    can_decide = allowed(request.user, FinalRating(assessment=a))
    can_admin = allowed(request.user, a)
    sees_others = whole and _sees_team_work(request.user, a)
    metrics = []
    if can_rate:
        from districtpm.metrics.models import Metric

        metrics = list(restrict(Metric.objects.all(), request.user).only("id", "name"))
    return render(
        request,
        "rubrics/assessment.html",
        {
            "a": a,
            "whole": whole,
            "levels": levels,
            "blocks": blocks,
            "member": member,
            "team": team,
            "can_rate": can_rate,
            "can_decide": can_decide,
            "can_admin": can_admin,
            "sees_others": sees_others,
            "metrics": metrics,
            "decided": sum(1 for r in rows.values() if r.final),
            "indicator_count": len(rows),
            "top": levels[-1] if levels else None,
        },
    )


def _member_or_403(request: HttpRequest, a: Assessment) -> Member:
    member = a.members.filter(user=request.user).first()
    if member is None:
        raise PermissionDenied("Only the assessment's team members rate.")
    return member


@requires("rubrics.view")
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    member = _member_or_403(request, a)
    levels = {str(lv.id): lv for lv in a.version.levels.all()}
    from districtpm.metrics.models import Metric

    metrics = {
        str(m.id): m for m in restrict(Metric.objects.all(), request.user).only("id", "name")
    }
    values: dict[int, actions.RatingInput] = {}
    problems: list[str] = []
    for indicator in Indicator.objects.filter(domain__version=a.version):
        level_id = request.POST.get(f"level_{indicator.id}", "")
        if not level_id:
            continue
        upload = request.FILES.get(f"file_{indicator.id}")
        problem = check_evidence_file(upload)
        if problem:
            problems.append(problem)
            continue
        metric_id = request.POST.get(f"metric_{indicator.id}", "")
        values[indicator.id] = actions.RatingInput(
            level=levels.get(level_id),
            note=request.POST.get(f"note_{indicator.id}", "")[:4000],
            link=request.POST.get(f"link_{indicator.id}", "")[:500],
            file=upload,
            metric=metrics.get(metric_id),
            clear_file=bool(request.POST.get(f"clear_{indicator.id}")),
        )
        if level_id not in levels:
            problems.append(f"{indicator.name}: choose one of the framework's levels.")
    if not problems:
        try:
            problems = actions.save_ratings(member, values, acting_user=request.user)
        except (PermissionDenied, ValidationError) as exc:
            problems = [str(exc) if isinstance(exc, PermissionDenied) else _error_text(exc)]
    if problems:
        for problem in problems:
            messages.error(request, problem)
        messages.error(request, "Nothing was saved; fix the ratings above and save again.")
        return redirect("rubrics:assessment", a.pk)
    if request.POST.get("submit"):
        try:
            actions.submit_ratings(member, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, "Your ratings are saved but not submitted. " + _error_text(exc))
            return redirect("rubrics:assessment", a.pk)
        messages.success(request, "Your ratings are submitted; you can now see the team's.")
    else:
        messages.success(
            request, "Your ratings are saved as a draft. Submit them when you are done."
        )
    return redirect("rubrics:assessment", a.pk)


@requires("rubrics.view")
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    actions.reveal_ratings(a, acting_user=request.user)
    messages.success(request, "Every member now sees the team's ratings.")
    return redirect("rubrics:assessment", a.pk)


@requires("rubrics.view")
@require_POST
def decide(request: HttpRequest, pk: int, indicator: int) -> HttpResponse:
    a = _assessment(request, pk)
    ind = get_object_or_404(Indicator, pk=indicator, domain__version=a.version)
    level = Level.objects.filter(version=a.version, pk=_number(request.POST.get("level"))).first()
    if level is None:
        messages.error(request, f"{ind.name}: choose the final level.")
        return redirect("rubrics:assessment", a.pk)
    try:
        actions.decide_rating(
            a,
            ind,
            level,
            rationale=request.POST.get("rationale", "")[:4000],
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, f"{ind.name}: {_error_text(exc)}")
    else:
        messages.success(request, f"{ind.name}: final rating {level.name} recorded.")
    return redirect("rubrics:assessment", a.pk)


@requires("rubrics.view")
@require_POST
def finalise(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    try:
        actions.finalise_assessment(a, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, "The assessment is final; its results are in the report and the heatmap."
        )
    return redirect("rubrics:assessment", a.pk)


@requires("rubrics.view")
def reopen(request: HttpRequest, pk: int, member: int | None = None) -> HttpResponse:
    """Reopen a member's submitted ratings, or a final assessment: with a reason, audited."""
    a = _assessment(request, pk)
    target = get_object_or_404(a.members.select_related("user"), pk=member) if member else None
    if not allowed(request.user, a):
        raise PermissionDenied("Only the facilitator reopens.")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if target is not None:
                actions.reopen_ratings(
                    target, reason=form.cleaned_data["reason"], acting_user=request.user
                )
            else:
                actions.reopen_assessment(
                    a, reason=form.cleaned_data["reason"], acting_user=request.user
                )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Reopened; the reason is in the audit log.")
            return redirect("rubrics:assessment", a.pk)
    who = target.user.get_full_name() or target.user.username if target else None
    title = f"Reopen {who}'s ratings" if who else "Reopen the assessment"
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "cancel": f"/rubrics/assessments/{a.pk}/"},
    )


@requires("rubrics.view")
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    final = get_visible_or_404(
        FinalRating.objects.select_related("assessment__version__framework", "level"),
        request.user,
        pk=pk,
    )
    from districtpm.actionplans.models import PlanAction
    from districtpm.plans.models import Goal, Initiative

    kind, _, target_id = request.POST.get("target", "").partition(":")
    model = {"goal": Goal, "initiative": Initiative, "action": PlanAction}.get(kind)
    target = (
        restrict(model.objects.all(), request.user).filter(pk=target_id or 0).first()
        if model and target_id.isdigit()
        else None
    )
    if target is None:
        messages.error(request, "Choose the goal, initiative or action-plan item to link.")
    else:
        try:
            actions.link_work(final, target, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"{final.indicator.name} is linked to {target}.")
    return redirect("rubrics:report", final.assessment_id)


@requires("rubrics.view")
@require_POST
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    work_link = get_visible_or_404(WorkLink.objects.select_related("final"), request.user, pk=pk)
    actions.unlink_work(work_link, acting_user=request.user)
    messages.success(request, "Link removed.")
    return redirect("rubrics:report", work_link.final.assessment_id)


@requires("rubrics.view")
def evidence(request: HttpRequest, pk: int) -> FileResponse:
    rating = get_visible_or_404(Rating.objects, request.user, pk=pk)
    if not rating.file:
        raise Http404("This rating has no file.")
    return FileResponse(
        rating.file.open("rb"), as_attachment=True, filename=rating.file_name or "evidence"
    )


# ---------------------------------------------------------------- results


def _report_context(request: HttpRequest, a: Assessment) -> dict[str, Any]:
    whole = _reads_whole(request.user, a)
    levels, blocks, rows = results.assessment_view(a, request.user, whole=whole)
    return {
        "a": a,
        "whole": whole and _sees_team_work(request.user, a),
        "levels": levels,
        "blocks": blocks,
        "rows": rows,
    }


@requires("rubrics.view")
def report(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    context = _report_context(request, a)
    final_rows = [r for r in context["rows"].values() if r.final]
    can_link = bool(final_rows) and allowed(request.user, WorkLink(final=final_rows[0].final))
    work = []
    if can_link:
        from districtpm.actionplans.models import PlanAction
        from districtpm.plans.models import Goal, Initiative

        work = (
            [
                ("goal", g)
                for g in restrict(Goal.objects.all(), request.user).only("id", "statement")[:300]
            ]
            + [
                ("initiative", i)
                for i in restrict(Initiative.objects.all(), request.user).only("id", "name")[:300]
            ]
            + [
                ("action", x)
                for x in restrict(PlanAction.objects.all(), request.user).only("id", "name")[:300]
            ]
        )
    context |= {
        "can_link": can_link,
        "work": work,
        "weak_through": a.version.framework.weak_through,
    }
    return render(request, "rubrics/report.html", context)


@requires("rubrics.view")
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    data = documents.report_xlsx(_report_context(request, a))
    response = HttpResponse(data, content_type=documents.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{documents.file_stem(a)}.xlsx"'
    return response


@requires("rubrics.view")
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    data = documents.report_pdf(_report_context(request, a))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.file_stem(a)}.pdf"'
    return response


@requires("rubrics.results")
def heatmap(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    condition = rules.results_schools(access)
    schools = School.objects.filter(
        condition if condition is not None else Q(pk__in=[]), active=True
    )
    frameworks_qs = list(Framework.objects.filter(kind=Framework.Kind.SCHOOL))
    fw = next((f for f in frameworks_qs if str(f.pk) == request.GET.get("framework")), None)
    fw = fw or (frameworks_qs[0] if frameworks_qs else None)
    years = list(SchoolYear.objects.order_by("-start_date").values_list("name", flat=True))
    year = request.GET.get("year") or ""
    if fw is not None and year not in years:
        done = (
            Assessment.objects.filter(version__framework=fw, status="final")
            .order_by("-school_year__start_date")
            .values_list("school_year__name", flat=True)
            .first()
        )
        year = done or (years[0] if years else "")
    networks = Network.objects.filter(id__in=schools.values("network_id"))
    network = request.GET.get("network", "")
    if network.isdigit():
        schools = schools.filter(network_id=int(network))
    designation = request.GET.get("designation", "")
    if designation in Designation.Kind.values:
        schools = schools.filter(
            designations__kind=designation, designations__school_year__name=year
        )
    elif designation == "any":
        schools = schools.filter(designations__school_year__name=year)
    schools = schools.distinct().select_related("network").order_by("name")
    data = results.heatmap(fw, year, schools) if fw is not None else None
    return render(
        request,
        "rubrics/heatmap.html",
        {
            "data": data,
            "frameworks": frameworks_qs,
            "framework": fw,
            "years": years,
            "year": year,
            "networks": networks,
            "network": network,
            "designations": Designation.Kind.choices,
            "designation": designation,
        },
    )


@requires("rubrics.view")
def trend(request: HttpRequest, pk: int) -> HttpResponse:
    """One entity's final ratings across years: the district (no school) or one school."""
    fw = get_visible_or_404(Framework.objects, request.user, pk=pk)
    school_id = request.GET.get("school")
    school = None
    if fw.kind == Framework.Kind.SCHOOL:
        if not (school_id or "").isdigit():
            raise Http404("Choose a school.")
        school = get_object_or_404(School, pk=int(school_id))
    visible = Assessment.objects.visible_to(request.user)
    data = results.trend(fw, school.pk if school else None, visible)
    if not data.years and not visible.filter(version__framework=fw, school=school).exists():
        raise Http404("No assessment of this framework you can see.")
    return render(request, "rubrics/trend.html", {"framework": fw, "school": school, "data": data})
