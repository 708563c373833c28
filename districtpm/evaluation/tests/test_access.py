"""Every personnel route of educator evaluation — each URL of the app that names an evaluation,
pages and exports, found from the URL list rather than written down — asked for by those who
must not read teacher A's record (another school's principal, a colleague at her school, the
PM office, a senior leader, a board member, and more), GET and POST: each is refused and
nothing changes. Each read by someone allowed other than the teacher leaves an audit row; the
teacher's own reads leave none."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core import serializers
from django.urls import reverse

from districtpm.accounts.models import RoleAssignment
from districtpm.accounts.tests.test_url_access_rules import product_patterns
from districtpm.audit.models import AuditEntry
from districtpm.conftest import PASSWORD
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, cycle, records
from districtpm.evaluation.models import (
    Appeal,
    Conversation,
    Evaluation,
    NonRenewal,
    SupportPlan,
)
from districtpm.org.models import Staff

REFUSED = ["principal_b", "colleague", "pm", "slt", "board", "network_1", "admin", "teacher_b"]
READERS = ["evaluator_a", "principal_a", "hr"]
# pages that exist only to write (a readable record shows its writers these, no one else)
WRITE_PAGES = ("/followup/", "/observations/new/", "/nonrenewal/withdraw/")
# what a POST carries: enough for any of the app's forms to change something if it let it
POSTED = {
    "score": "1",
    "rationale": "Changed by someone who should not",
    "reason": "Because",
    "text": "A note",
    "reflection": "Mine",
    "comment": "Seen",
    "held_on": "2026-09-15",
    "observed_on": "2026-09-15",
    "minutes": "30",
    "goals": "Goals",
    "supports": "Supports",
    "starts_on": "2026-09-01",
    "ends_on": "2026-12-01",
    "notes": "Notes",
    "on": "2026-09-15",
    "outcome": "met",
    "decision": "Decided",
    "panel": "A panel",
    "template": "after_conversation",
    "subject": "Subject",
    "body": "Body",
    "send": "1",
    "confirm": "1",
}


@pytest.fixture
def record_of_teacher_a(world):
    Staff.objects.filter(pk=world.staff["teacher_a"].pk).update(probationary=True)
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    made = records.open_evaluation(
        world.staff["teacher_a"], world.school_a, framework, acting_user=SYSTEM
    )
    e = Evaluation.objects.get(pk=made.pk)
    day = dt.date(2026, 9, 15)
    shared = cycle.record_observation(e, day, {}, acting_user=SYSTEM)
    cycle.share_observation(shared, acting_user=SYSTEM)
    Conversation.objects.create(evaluation=e, kind="mid_year", held_on=day, notes={"open": "Hi"})
    plan = SupportPlan.objects.create(
        evaluation=e,
        goals="Goals",
        supports="Coaching",
        starts_on=day,
        ends_on=day + dt.timedelta(days=60),
    )
    NonRenewal.objects.create(evaluation=e, reasons="Reasons", proposed_on=day, notice_given_on=day)
    appeal = Appeal.objects.create(
        evaluation=e, kind="disagreement", notified_on=day, filed_on=day, statement="I disagree"
    )
    colleague = User.objects.create_user("colleague", password=PASSWORD)
    RoleAssignment.objects.create(user=colleague, role=Role.TEACHER, school=world.school_a)
    Staff.objects.filter(pk=world.staff["teacher_a2"].pk).update(user=colleague)
    world.users["colleague"] = colleague
    values = {
        "pk": e.pk,
        "obs": shared.pk,
        "kind": "mid_year",
        "component": framework.components.first().pk,
        "plan": plan.pk,
        "appeal": appeal.pk,
    }
    return e, values


def record_urls(values: dict) -> list[str]:
    urls = []
    for route, namespace, pattern in product_patterns():
        if namespace != "evaluation" or "<int:pk>" not in route or "/framework/" in route:
            continue  # a framework's pages name the framework: not personnel data
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        urls.append(reverse(f"evaluation:{pattern.name}", kwargs=kwargs))
    return urls


def _state() -> str:
    """A digest of every row of the evaluation app (and the caseloads)."""
    rows = []
    for model in [*apps.get_app_config("evaluation").get_models()]:
        rows.append(serializers.serialize("json", model.objects.order_by("pk")))
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_the_record_routes_are_all_found(record_of_teacher_a):
    _, values = record_of_teacher_a
    urls = record_urls(values)
    # the evaluation, its scores and rating, observations, conversations, follow-ups, the PDF,
    # plans of support, non-renewal and appeals
    assert len(urls) >= 25
    assert any(u.endswith("record.pdf") for u in urls)
    assert any("/appeals/" in u for u in urls) and any("/support/" in u for u in urls)


@pytest.mark.parametrize("who", REFUSED)
def test_those_outside_the_record_are_refused_everywhere_and_change_nothing(
    world, login, record_of_teacher_a, who
):
    e, values = record_of_teacher_a
    client = login(world.users[who])
    before, reads = _state(), AuditEntry.objects.filter(action__startswith="evaluation.").count()
    for url in record_urls(values):
        for method in ("get", "post"):
            response = getattr(client, method)(url, POSTED)
            assert response.status_code in (403, 404, 405), (who, method, url)
            assert "Tess Ash" not in response.content.decode(errors="replace"), (who, url)
    assert _state() == before, who
    assert AuditEntry.objects.filter(action__startswith="evaluation.").count() == reads, who
    # and the section's own pages show them no one's record
    for page in ["evaluation:home", "evaluation:overdue"]:
        response = client.get(reverse(page) + f"?year={world.year.name}")
        assert "Tess Ash" not in response.content.decode(), (who, page)


@pytest.mark.parametrize("who", READERS)
def test_each_read_by_someone_other_than_the_teacher_is_audited(
    world, login, record_of_teacher_a, who
):
    e, values = record_of_teacher_a
    client = login(world.users[who])
    pages = 0
    for url in record_urls(values):
        reads = AuditEntry.objects.filter(actor=world.users[who], object_id=str(e.pk)).filter(
            action__in=["evaluation.read"]
        )
        counted = reads.count()
        response = client.get(url)
        if response.status_code == 405:  # a form's target: nothing to read
            continue
        if response.status_code == 403:  # a page for writing, and this reader does not write
            assert any(page in url for page in WRITE_PAGES), (who, url)
            continue
        assert response.status_code == 200, (who, url)
        pages += 1
        assert reads.count() == counted + 1, (who, url)
    assert pages >= 9, who


def test_the_teacher_reads_her_own_record_without_an_audit_row(world, login, record_of_teacher_a):
    e, values = record_of_teacher_a
    client = login(world.users["teacher_a"])
    read = 0
    for url in record_urls(values):
        response = client.get(url)
        assert response.status_code in (200, 405) or (
            response.status_code == 403 and any(page in url for page in WRITE_PAGES)
        ), url
        read += response.status_code == 200
    assert read >= 9
    assert not AuditEntry.objects.filter(
        actor=world.users["teacher_a"], action="evaluation.read"
    ).exists()


# ------------------------------------------------------------------ found by probing the demo


@pytest.fixture
def principal_evaluated(world):
    """School A's principal has her own evaluation at her own school."""
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    made = records.open_evaluation(
        world.staff["principal_a"], world.school_a, framework, acting_user=SYSTEM
    )
    e = Evaluation.objects.get(pk=made.pk)
    NonRenewal.objects.create(evaluation=e, reasons="Secret", proposed_on=dt.date(2026, 11, 2))
    return e


def test_a_principal_neither_scores_nor_manages_her_own_evaluation(
    world, login, principal_evaluated
):
    e = principal_evaluated
    client = login(world.users["principal_a"])
    assert client.get(f"/evaluation/{e.pk}/").status_code == 200  # she reads her own
    before = _state()
    c = e.framework.components.get(kind="professionalism")
    for url in [
        f"/evaluation/{e.pk}/components/{c.pk}/score/",
        f"/evaluation/{e.pk}/finalise/",
        f"/evaluation/{e.pk}/observations/new/",
        f"/evaluation/{e.pk}/conversations/mid_year/held/",
        f"/evaluation/{e.pk}/support/",
        f"/evaluation/{e.pk}/nonrenewal/withdraw/",
    ]:
        assert client.post(url, POSTED).status_code in (403, 404), url
    # a non-renewal of her not yet noticed: not there for her
    assert client.get(f"/evaluation/{e.pk}/nonrenewal/").status_code == 404
    assert client.get(f"/evaluation/{e.pk}/nonrenewal/withdraw/").status_code == 403  # any record
    assert _state() == before


def test_a_principal_assigns_only_her_own_schools_teachers_and_not_herself(world, login):
    from django.core.exceptions import PermissionDenied, ValidationError

    from districtpm.org.models import Assignment

    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    records.open_evaluation(world.staff["teacher_b"], world.school_b, framework, acting_user=SYSTEM)
    # teacher B also teaches a little at school A: her evaluation, and her principal, are B's
    Assignment.objects.create(
        staff=world.staff["teacher_b"],
        school=world.school_a,
        position=world.staff["teacher_b"].position,
        primary=False,
    )
    principal_a = world.users["principal_a"]
    with pytest.raises(PermissionDenied):
        cycle.assign_evaluator(
            world.staff["teacher_b"],
            world.year,
            world.users["evaluator_a"],
            acting_user=principal_a,
        )
    me = Staff.objects.get(user=principal_a)
    with pytest.raises(PermissionDenied):
        cycle.assign_evaluator(me, world.year, world.users["evaluator_a"], acting_user=principal_a)
    framework.closed = True
    framework.save()
    with pytest.raises(ValidationError, match="closed"):
        cycle.assign_evaluator(
            Staff.objects.get(pk=world.staff["teacher_a2"].pk),
            world.year,
            world.users["evaluator_a"],
            acting_user=principal_a,
        )
    client = login(principal_a)
    for junk in [{"staff": "abc"}, {"staff": ""}, {"staff": "1", "evaluator": "abc"}]:
        assert client.post(reverse("evaluation:caseloads"), junk).status_code == 404, junk


def test_the_audit_log_shows_personnel_actions_only_to_their_actor_and_readers(
    world, login, record_of_teacher_a
):
    e, _ = record_of_teacher_a
    cycle.hold_conversation(
        e,
        "end_of_year",
        dt.date(2026, 9, 16),
        {"open": "x"},
        acting_user=world.users["evaluator_a"],
    )
    records.read(Evaluation.objects.all(), world.users["hr"], pk=e.pk)
    for who, sees in [("pm", False), ("admin", False), ("hr", True), ("evaluator_a", True)]:
        response = login(world.users[who]).get("/audit/")
        if response.status_code == 403:
            continue  # no audit page for this role at all
        body = response.content.decode()
        assert ("Tess Ash" in body) is sees, who
        assert ("evaluation.conversation" in body) is sees, who
    User.objects.filter(pk=world.users["admin"].pk).update(is_staff=True, is_superuser=True)
    admin_page = login(world.users["admin"]).get("/admin/audit/auditentry/?q=evaluation")
    assert admin_page.status_code == 200 and "Tess Ash" not in admin_page.content.decode()
    hidden = AuditEntry.objects.filter(action="evaluation.conversation").get()
    page = login(world.users["admin"]).get(f"/admin/audit/auditentry/{hidden.pk}/change/")
    assert page.status_code in (302, 404) or "Tess Ash" not in page.content.decode()
