"""Every download (a file or a machine-readable answer rather than a page), as every role.

The downloads are found from the URL list, not written down by hand: a route ending in a file
suffix or under an API path, a view whose code builds a non-HTML response, or any route without
arguments that answers an administrator with something other than HTML. Each found download
must have a checker below, so a new one cannot ship unchecked. Each checker parses the file and
compares what it holds with what DESIGN.md's roles table lets that role read.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from districtpm.accounts.tests.scoped_data import (
    ALL,
    DISTRICT,
    METRIC_ID,
    NETWORK_1,
    NETWORK_2,
    ROLE_USERS,
    SCHOOL_A,
    SCHOOL_B,
    VALUE_SCOPE,
    leaked,
    make_values,
)
from districtpm.accounts.tests.test_url_access_rules import product_patterns
from districtpm.actionplans.models import ActionTeam
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation.tests.downloads import CHECKERS as EVALUATION_CHECKERS
from districtpm.improvement.tests.downloads import CHECKERS as IMPROVEMENT_CHECKERS
from districtpm.meetings.models import FeedToken, Meeting
from districtpm.meetings.schedule import plan_year
from districtpm.plans.models import Goal, Plan, Priority, Target
from districtpm.processmaps.tests.downloads import CHECKERS as PROCESSMAP_CHECKERS
from districtpm.rubrics.tests.downloads import CHECKERS as RUBRIC_CHECKERS

SUFFIXES = (".xlsx", ".csv", ".json", ".pptx", ".pdf", ".ics")
# What a view's code (or a helper of its module it calls) uses to answer with a file.
FILE_RESPONSES = re.compile(
    r"JsonResponse|FileResponse|StreamingHttpResponse|Content-Disposition|content_type="
)
LEADERS = {"admin", "pm", "slt"}
TEAM = {"team_lead", "team_member"}

# ------------------------------------------------------------------ finding the downloads


def _source_with_helpers(view: Callable, depth: int = 2) -> str:
    """The view's source and that of the functions of its own module it calls."""
    func = inspect.unwrap(view)
    module = inspect.getmodule(func)
    seen, todo, texts = set(), [(func, 0)], []
    while todo:
        f, level = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        text = inspect.getsource(f)
        texts.append(text)
        if level >= depth:
            continue
        for name in set(re.findall(r"\b([A-Za-z_]\w*)\(", text)):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and inspect.getmodule(helper) is module:
                todo.append((helper, level + 1))
    return "\n".join(texts)


def _name(namespace: str, pattern) -> str:
    return f"{namespace}:{pattern.name}" if namespace else pattern.name


def downloads_by_code() -> set[str]:
    found = set()
    for route, namespace, pattern in product_patterns():
        if route.endswith(SUFFIXES) or "api/" in route:
            found.add(_name(namespace, pattern))  # public ones too: a Blueprint's PDF
        elif pattern.callback.access_rule == "public":
            # the other public views (pinned in test_url_access_rules) answer with pages, or
            # with health/'s status, which holds no data
            continue
        elif FILE_RESPONSES.search(_source_with_helpers(pattern.callback)):
            found.add(_name(namespace, pattern))
    return found


# ------------------------------------------------------------------ the district's data


# Role user → the plan's goals (by entity) they may read; None: the plan is not theirs (403).
GOAL_SCOPE: dict[str, frozenset | None] = {
    **dict.fromkeys(["admin", "pm", "slt", "board"], ALL),
    **dict.fromkeys(TEAM, DISTRICT),
    "network_1": DISTRICT | NETWORK_1 | SCHOOL_A,
    "network_2": DISTRICT | NETWORK_2 | SCHOOL_B,
    # a principal reads their school's goals and their network's, like the plan's pages
    "principal_a": DISTRICT | NETWORK_1 | SCHOOL_A,
    "principal_b": DISTRICT | NETWORK_2 | SCHOOL_B,
    **dict.fromkeys(["evaluator_a", "evaluator_b", "teacher_a", "teacher_b", "hr"], None),
    "norole": None,
}
GOAL_KEYS = [k for k in ALL if k[0] != "grade"]
DISTRICT_KEY = ("district", "district", "")


def statement(key) -> str:
    return f"Goal for {key[0]} {key[1]}"


@pytest.fixture
def district(world):
    """Values at every level, a plan with a goal at each level, a year of meetings, an action
    team and a calendar address for every user."""
    values = make_values()
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    whole_child = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    Priority.objects.create(plan=plan, name="Great Schools", order=2)
    for key in GOAL_KEYS:
        goal = Goal.objects.create(
            plan=plan,
            priority=whole_child,
            statement=statement(key),
            metric=values.metric,
            level=key[0],
            entity_code=key[1],
            baseline_year="2024-2025",
            baseline_value=10.0,
            goal_year="2028-2029",
        )
        Target.objects.create(goal=goal, school_year="2028-2029", value=15.0)
    team = ActionTeam.objects.create(
        priority=whole_child, name="Whole Child", lead=world.users["team_lead"]
    )
    team.members.set([world.users["team_member"]])
    plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    for name, user in world.users.items():
        FeedToken.objects.create(user=user, token=f"token-{name}")
    return {"plan": plan, "team": team, "priority": whole_child}


def may_see_meeting(role: str, meeting: Meeting) -> bool:
    """DESIGN.md: leaders every meeting; the Board its Empower sessions; action teams the
    Engage meetings and their own priority's; nobody else any."""
    if role in LEADERS:
        return True
    if role == "board":
        return meeting.rule.kind == "empower"
    if role in TEAM:
        return meeting.rule.kind == "engage" or meeting.priority.name == "Whole Child"
    return False


def has_meetings(role: str) -> bool:
    return role in LEADERS | TEAM | {"board"}


# ------------------------------------------------------------------ the checkers


class Check:
    """Requests one download as one role and fails on anything the role may not read."""

    def __init__(self, client, world, district, role: str) -> None:
        self.client, self.world, self.district, self.role = client, world, district, role
        self.requests = 0

    def get(self, url: str):
        self.requests += 1
        return self.client.get(url)

    def refused(self, response, *codes: int) -> bool:
        """True when the role is refused; fails when a refusal is not one of `codes`."""
        if response.status_code == 200:
            return False
        assert response.status_code in codes, (self.role, response.status_code)
        return True


def _metric_rows(check: Check, name: str, parse: Callable[[bytes], set]) -> None:
    response = check.get(reverse(name, args=[METRIC_ID]))
    allowed = VALUE_SCOPE[check.role]
    if allowed is None:
        assert response.status_code == 403, check.role
        return
    assert response.status_code == 200
    assert parse(response.content) == set(allowed), check.role


def _csv(content: bytes) -> set:
    return {
        (r["Level"].lower(), r["Code"], r["Grade"])
        for r in csv.DictReader(io.StringIO(content.decode()))
    }


def _xlsx(content: bytes) -> set:
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    at = [rows[0].index(c) for c in ("Level", "Code", "Grade")]
    return {(r[at[0]].lower(), r[at[1]], r[at[2]] or "") for r in rows[1:]}


def _json(content: bytes) -> set:
    return {(v["level"], v["entity_code"], v["grade"]) for v in json.loads(content)["values"]}


def check_api_metrics(check: Check) -> None:
    response = check.get(reverse("metrics:api_metrics"))
    if VALUE_SCOPE[check.role] is None:
        assert response.status_code == 403
        return
    data = json.loads(response.content)
    assert [m["id"] for m in data["metrics"]] == [METRIC_ID]
    assert leaked(response.content.decode(), DISTRICT) == []


def check_plan_export(check: Check) -> None:
    response = check.get(reverse("plans:plan_export"))
    allowed = GOAL_SCOPE[check.role]
    if allowed is None:
        assert response.status_code == 403, check.role
        return
    assert response.status_code == 200, check.role
    book = load_workbook(io.BytesIO(response.content))
    goals = {row[1] for row in book["Goals"].iter_rows(min_row=2, values_only=True)}
    assert goals == {statement(k) for k in GOAL_KEYS if k in allowed}, check.role
    text = " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
    )
    assert leaked(text, VALUE_SCOPE[check.role]) == []


def _pack_text(name: str, content: bytes) -> str:
    if name.endswith("pptx"):
        parts = []
        for slide in Presentation(io.BytesIO(content)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    parts.append(shape.text_frame.text)
                if shape.has_table:
                    parts += [c.text for row in shape.table.rows for c in row.cells]
        return "\n".join(parts)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _pack_meetings() -> list[Meeting]:
    """An Explore meeting of the team's priority and one of another priority, and an Empower
    session: each role may open at least one and is refused at least one (packs take a while
    to draw, so not every meeting)."""
    meetings = Meeting.objects.select_related("rule", "priority").order_by("date")
    chosen = {}
    for m in meetings:
        if m.rule.kind == "explore":
            chosen.setdefault(m.priority.name == "Whole Child", m)
        elif m.rule.kind == "empower":
            chosen.setdefault("empower", m)
    assert len(chosen) == 3
    return list(chosen.values())


def check_pack(name: str) -> Callable[[Check], None]:
    def check_it(check: Check) -> None:
        for meeting in _pack_meetings():
            response = check.get(reverse(name, args=[meeting.pk]))
            if not has_meetings(check.role):
                assert response.status_code == 403, check.role
                continue
            if not may_see_meeting(check.role, meeting):
                assert response.status_code == 404, (check.role, meeting.rule.kind)
                continue
            assert response.status_code == 200, (check.role, meeting.rule.kind)
            text = _pack_text(name, response.content)
            assert leaked(text, VALUE_SCOPE[check.role]) == [], (check.role, meeting.rule.kind)
            # a pack is about the district's goals; a school's or network's never shows
            for key in GOAL_KEYS:
                if key[0] != "district":
                    assert statement(key) not in text, (check.role, key)

    return check_it


def check_decision_log(check: Check) -> None:
    """The log lists what was decided at the meetings the role may see, and nothing else."""
    from districtpm.meetings.models import MeetingItem

    for m in Meeting.objects.all():
        MeetingItem.objects.get_or_create(
            meeting=m, kind=MeetingItem.Kind.DECISION, text=f"Decided at meeting {m.pk}"
        )
    response = check.get(reverse("meetings:log") + "?format=csv")
    if not has_meetings(check.role):
        assert response.status_code == 403, check.role
        return
    assert response.status_code == 200, check.role
    listed = {r["Text"] for r in csv.DictReader(io.StringIO(response.content.decode()))}
    expected = {
        f"Decided at meeting {m.pk}"
        for m in Meeting.objects.select_related("rule", "priority")
        if may_see_meeting(check.role, m)
    }
    assert expected and listed == expected, check.role


def _uids(content: bytes) -> set[str]:
    return {str(e["uid"]) for e in Calendar.from_ical(content).walk("VEVENT")}


def _attended(check: Check) -> set[str]:
    user = check.world.users[check.role]
    return {
        m.uid
        for m in Meeting.objects.filter(attendees=user).select_related("rule", "priority")
        if may_see_meeting(check.role, m)
    }


def check_my_calendar(check: Check) -> None:
    response = check.get(reverse("meetings:my_calendar"))
    if not has_meetings(check.role):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert _uids(response.content) == _attended(check), check.role


def check_user_feed(check: Check) -> None:
    response = check.get(reverse("meetings:user_feed", args=[f"token-{check.role}"]))
    if not has_meetings(check.role):
        assert response.status_code == 404
        return
    assert _uids(response.content) == _attended(check), check.role


def check_team_feed(check: Check) -> None:
    team = check.district["team"]
    response = check.get(reverse("meetings:team_feed", args=[f"token-{check.role}", team.pk]))
    if check.role not in LEADERS | TEAM:
        assert response.status_code == 404, check.role
        return
    assert response.status_code == 200
    expected = {
        m.uid
        for m in Meeting.objects.select_related("rule", "priority")
        if (m.priority_id == team.priority_id or m.rule.kind == "engage")
        and may_see_meeting(check.role, m)
    }
    assert expected and _uids(response.content) == expected, check.role


def check_scorecard(name: str, entity: tuple[str, str, str], *args: str):
    """A scorecard's PowerPoint: refused where the page is; where it is given, only goals
    the role may read and no figure outside its scope."""

    def check(c: Check) -> None:
        response = c.get(reverse(name, args=list(args)) + "?format=pptx")
        allowed = GOAL_SCOPE[c.role]
        if allowed is None:
            assert response.status_code == 403, c.role
            return
        if entity not in allowed:
            assert response.status_code == 404, c.role
            return
        assert response.status_code == 200, c.role
        text = _pack_text("scorecard.pptx", response.content)
        shown = {statement(k) for k in GOAL_KEYS if statement(k) in text}
        assert shown and shown <= {statement(k) for k in GOAL_KEYS if k in allowed}, c.role
        assert leaked(text, VALUE_SCOPE[c.role]) == [], c.role

    return check


CHECKERS: dict[str, Callable[[Check], None]] = {
    "plans:district_scorecard": check_scorecard("plans:district_scorecard", DISTRICT_KEY),
    "plans:board": check_scorecard("plans:board", DISTRICT_KEY),
    "plans:network_scorecard": check_scorecard(
        "plans:network_scorecard", ("network", "N1", ""), "N1"
    ),
    "plans:school_scorecard": check_scorecard(
        "plans:school_scorecard", ("school", "101", ""), "101"
    ),
    "metrics:export_csv": lambda c: _metric_rows(c, "metrics:export_csv", _csv),
    "metrics:export_xlsx": lambda c: _metric_rows(c, "metrics:export_xlsx", _xlsx),
    "metrics:api_values": lambda c: _metric_rows(c, "metrics:api_values", _json),
    "metrics:api_metrics": check_api_metrics,
    "plans:plan_export": check_plan_export,
    "meetings:pack_pptx": check_pack("meetings:pack_pptx"),
    "meetings:pack_pdf": check_pack("meetings:pack_pdf"),
    "meetings:my_calendar": check_my_calendar,
    "meetings:log": check_decision_log,
    "meetings:user_feed": check_user_feed,
    "meetings:team_feed": check_team_feed,
    **RUBRIC_CHECKERS,
    **IMPROVEMENT_CHECKERS,
    **EVALUATION_CHECKERS,
    **PROCESSMAP_CHECKERS,
}


# ------------------------------------------------------------------ the tests


def test_every_download_in_the_url_list_has_a_checker():
    found = downloads_by_code()
    assert found - set(CHECKERS) == set(), "downloads nobody checks by role"
    assert set(CHECKERS) - found == set(), "checkers for downloads that are gone"


def test_no_route_without_arguments_answers_with_an_unchecked_file(world, login, district):
    """The code search above can miss a download built another way; asking finds it."""
    client = login(world.users["admin"])
    for route, namespace, pattern in product_patterns():
        if "<" in route or pattern.callback.access_rule == "public":
            continue
        response = client.get("/" + route)
        kind = response.get("Content-Type", "")
        is_file = response.has_header("Content-Disposition") or (
            response.status_code == 200 and not kind.startswith("text/html")
        )
        if is_file:
            assert _name(namespace, pattern) in CHECKERS, route


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_each_download_holds_only_what_each_role_may_read(world, login, district, name, capsys):
    pairs = requests = 0
    for role in ROLE_USERS:
        check = Check(login(world.users[role]), world, district, role)
        CHECKERS[name](check)
        pairs += 1
        requests += check.requests
    assert pairs == len(ROLE_USERS)
    with capsys.disabled():
        print(f"\n{name}: {pairs} (URL, role) pairs, {requests} requests, 0 leaks")
