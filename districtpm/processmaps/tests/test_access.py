"""Who reads and who draws process maps, asked by URL.

A division member (a team member whose staff record is in the family engagement department)
adds, changes, moves and removes the steps of their own lane, and connects flows out of them,
in a version not yet published; every request that would change another lane's step or flow —
or move their own step into another lane, or add a step to another lane by posting its id — is
refused and changes nothing; a published version refuses even their own lane. The board reads
published versions only. Roles without the section get 403 everywhere. The PM office, senior
leaders and the district admin draw everything. Every change writes one audit entry."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Staff
from districtpm.processmaps import actions, interchange
from districtpm.processmaps.models import Flow, ProcessMap, Step
from districtpm.processmaps.tests.sample import digest, make_sample

NO_SECTION = ["evaluator_a", "teacher_a", "hr", "norole"]  # HR does not read the plan either


def url(name: str, *args: int) -> str:
    return reverse(f"processmaps:{name}", args=args)


@pytest.fixture
def sample(world):
    return make_sample(world)


def step_data(name: str, lane, kind: str = "task", days: str = "1") -> dict:
    return {
        "kind": kind,
        "name": name,
        "lane": "" if lane is None else getattr(lane, "pk", lane),
        "position": "",
        "days": days,
        "produces": "",
    }


def audit_count() -> int:
    return AuditEntry.objects.filter(action__startswith="processmaps.").count()


# ------------------------------------------------------------------ a division member


def test_a_division_member_draws_the_steps_of_their_own_lane(world, login, sample):
    client = login(sample.member)
    pm, v, fam = sample.pm, sample.draft, sample.lanes["FAM"]
    s2, s3, s5 = (sample.step(v, k) for k in ("S2", "S3", "S5"))

    # the page offers them the changes to their own lane's steps, and no other
    page = client.get(url("version", pm.pk, 2)).content.decode()
    assert url("edit_step", pm.pk, 2, s2.pk) in page
    for other in ("S1", "S4", "S6"):
        assert url("edit_step", pm.pk, 2, sample.step(v, other).pk) not in page
    assert url("next_version", pm.pk, 2) not in page and url("publish", pm.pk, 2) not in page

    done = audit_count()
    response = client.post(url("add_step", pm.pk, 2), step_data("Send a letter home", fam))
    assert response.status_code == 302
    letter = v.steps.get(name="Send a letter home")
    assert letter.lane == fam and audit_count() == done + 1

    response = client.post(
        url("edit_step", pm.pk, 2, s2.pk), step_data("Call and text the family", fam, days="1.5")
    )
    assert response.status_code == 302
    s2.refresh_from_db()
    assert (s2.name, float(s2.days)) == ("Call and text the family", 1.5)
    assert audit_count() == done + 2

    order = list(v.steps.order_by("order").values_list("key", flat=True))
    assert client.post(url("move_step", pm.pk, 2, s2.pk), {"direction": "down"}).status_code == 302
    moved = list(v.steps.order_by("order").values_list("key", flat=True))
    assert moved.index("S2") == order.index("S2") + 1 and audit_count() == done + 3

    # a flow out of their lane may go to another lane: that is the hand-off they make
    response = client.post(
        url("add_flow", pm.pk, 2), {"source": s3.pk, "target": s5.pk, "label": "Moved away"}
    )
    assert response.status_code == 302
    assert Flow.objects.filter(source=s3, target=s5, label="Moved away").exists()
    assert audit_count() == done + 4

    flow = sample.flow(v, "S2", "S3")
    assert client.post(url("remove_flow", pm.pk, 2, flow.pk)).status_code == 302
    assert not Flow.objects.filter(pk=flow.pk).exists() and audit_count() == done + 5

    # removing asks first, and changes nothing until confirmed
    response = client.post(url("remove_step", pm.pk, 2, letter.pk))
    assert response.status_code == 200 and b"Remove step" in response.content
    assert Step.objects.filter(pk=letter.pk).exists() and audit_count() == done + 5
    response = client.post(url("remove_step", pm.pk, 2, letter.pk), {"confirm": "yes"})
    assert response.status_code == 302
    assert not Step.objects.filter(pk=letter.pk).exists() and audit_count() == done + 6
    actions_done = list(
        AuditEntry.objects.filter(action__startswith="processmaps.")
        .order_by("pk")
        .values_list("action", "actor_id")
    )[-6:]
    assert actions_done == [
        ("processmaps.step.add", sample.member.pk),
        ("processmaps.step.change", sample.member.pk),
        ("processmaps.step.move", sample.member.pk),
        ("processmaps.flow.add", sample.member.pk),
        ("processmaps.flow.remove", sample.member.pk),
        ("processmaps.step.remove", sample.member.pk),
    ]


def _refused_in_the_draft(sample) -> list[tuple[str, str, dict | None]]:
    """Every request of the member's that reaches another lane's step or flow in the draft."""
    pm, v = sample.pm, sample.draft
    n = v.number
    lanes = sample.lanes
    s2 = sample.step(v, "S2")
    out: list[tuple[str, str, dict | None]] = []
    for key in ("S1", "S4", "S6"):  # another division's lanes, and no lane at all
        s = sample.step(v, key)
        out += [
            ("get", url("edit_step", pm.pk, n, s.pk), None),
            ("post", url("edit_step", pm.pk, n, s.pk), step_data("Taken over", lanes["FAM"])),
            ("post", url("edit_step", pm.pk, n, s.pk), step_data("Renamed", s.lane)),
            ("post", url("move_step", pm.pk, n, s.pk), {"direction": "up"}),
            ("post", url("move_step", pm.pk, n, s.pk), {"direction": "down"}),
            ("post", url("remove_step", pm.pk, n, s.pk), {}),
            ("post", url("remove_step", pm.pk, n, s.pk), {"confirm": "yes"}),
        ]
    # flows out of other lanes' steps, to be made or removed
    s4, s6, s7 = (sample.step(v, k) for k in ("S4", "S6", "S7"))
    out += [
        ("post", url("add_flow", pm.pk, n), {"source": s4.pk, "target": s2.pk, "label": ""}),
        ("post", url("add_flow", pm.pk, n), {"source": s6.pk, "target": s7.pk, "label": ""}),
    ]
    for source, target in [("S1", "S2"), ("S4", "S5"), ("S5", "S7")]:
        out.append(("post", url("remove_flow", pm.pk, n, sample.flow(v, source, target).pk), {}))
    # a step added in another lane by posting its id, or in no lane
    for lane in (lanes["TRN"], lanes["WCS"], None, 999999, "junk"):
        out.append(("post", url("add_step", pm.pk, n), step_data("Sneaked in", lane)))
    # their own step moved into another lane, or out of every lane
    for lane in (lanes["TRN"], None, 999999):
        out.append(("post", url("edit_step", pm.pk, n, s2.pk), step_data("Call the family", lane)))
    # the map as a whole is the drawers'
    out += [
        ("post", url("next_version", pm.pk, n), {"kind": "revision", "label": ""}),
        ("post", url("publish", pm.pk, n), {}),
        ("post", url("publish", pm.pk, n), {"confirm": "yes"}),
        ("get", url("import", pm.pk), None),
        ("get", url("new"), None),
        ("post", url("new"), {"name": "A map of my own", "initiative": "", "description": ""}),
    ]
    return out


def _send(client, method: str, address: str, data: dict | None):
    return client.get(address) if method == "get" else client.post(address, data or {})


def test_a_division_member_cannot_change_another_lane(world, login, sample):
    client = login(sample.member)
    before, audited = digest(), audit_count()
    for method, address, data in _refused_in_the_draft(sample):
        response = _send(client, method, address, data)
        assert response.status_code in (403, 404), (method, address, data, response.status_code)
        assert digest() == before, (method, address, data)
    upload = SimpleUploadedFile("map.csv", interchange.to_csv(sample.draft).encode())
    response = client.post(url("import", sample.pm.pk), {"file": upload, "kind": "to_be"})
    assert response.status_code == 403
    assert digest() == before and audit_count() == audited


def test_the_actions_refuse_another_lane_too(world, sample):
    member, v = sample.member, sample.draft
    s4 = sample.step(v, "S4")
    s2 = sample.step(v, "S2")
    before = digest()
    for attempt in [
        lambda: actions.change_step(s4, name="Renamed", acting_user=member),
        lambda: actions.change_step(s2, lane=sample.lanes["TRN"], acting_user=member),
        lambda: actions.change_step(s2, lane=None, acting_user=member),
        lambda: actions.move_step(s4, -1, acting_user=member),
        lambda: actions.remove_step(s4, acting_user=member),
        lambda: actions.add_step(v, name="X", lane=sample.lanes["TRN"], acting_user=member),
        lambda: actions.add_step(v, name="X", lane=None, acting_user=member),
        lambda: actions.connect(s4, s2, acting_user=member),
        lambda: actions.disconnect(sample.flow(v, "S4", "S5"), acting_user=member),
        lambda: actions.new_version(v, acting_user=member),
        lambda: actions.publish_version(v, acting_user=member),
        lambda: actions.create_map("Mine", acting_user=member),
    ]:
        with pytest.raises(PermissionDenied):
            attempt()
    assert digest() == before


def test_a_published_version_refuses_even_their_own_lane(world, login, sample):
    client = login(sample.member)
    pm, v, fam = sample.pm, sample.published, sample.lanes["FAM"]
    s2, s5 = sample.step(v, "S2"), sample.step(v, "S5")
    # the page offers no change at all
    page = client.get(url("version", pm.pk, 1)).content.decode()
    assert url("edit_step", pm.pk, 1, s2.pk) not in page
    assert url("add_step", pm.pk, 1) not in page and url("add_flow", pm.pk, 1) not in page
    before, audited = digest(), audit_count()
    for method, address, data in [
        ("get", url("edit_step", pm.pk, 1, s2.pk), None),
        ("post", url("edit_step", pm.pk, 1, s2.pk), step_data("Renamed", fam)),
        ("post", url("move_step", pm.pk, 1, s2.pk), {"direction": "up"}),
        ("post", url("remove_step", pm.pk, 1, s2.pk), {}),
        ("post", url("remove_step", pm.pk, 1, s2.pk), {"confirm": "yes"}),
        ("post", url("add_step", pm.pk, 1), step_data("Added late", fam)),
        ("post", url("add_step", pm.pk, 1), step_data("Added late", None)),
        ("post", url("add_flow", pm.pk, 1), {"source": s2.pk, "target": s5.pk, "label": ""}),
        ("post", url("remove_flow", pm.pk, 1, sample.flow(v, "S2", "S3").pk), {}),
    ]:
        response = _send(client, method, address, data)
        assert response.status_code in (403, 404), (method, address, response.status_code)
    assert digest() == before and audit_count() == audited


def test_a_step_or_flow_of_one_version_is_not_found_under_another(world, login, sample):
    client = login(world.users["pm"])
    pm = sample.pm
    draft_step = sample.step(sample.draft, "S2")
    draft_flow = sample.flow(sample.draft, "S2", "S3")
    before = digest()
    assert client.get(url("edit_step", pm.pk, 1, draft_step.pk)).status_code == 404
    assert client.post(url("move_step", pm.pk, 1, draft_step.pk), {}).status_code == 404
    assert client.post(url("remove_flow", pm.pk, 1, draft_flow.pk)).status_code == 404
    # a step of the other version posted as a flow's end is not a choice
    published_s5 = sample.step(sample.published, "S5")
    client.post(url("add_flow", pm.pk, 2), {"source": draft_step.pk, "target": published_s5.pk})
    assert digest() == before


# ------------------------------------------------------------------ the board


def test_the_board_reads_published_versions_only(world, login, sample):
    hidden = actions.create_map("Budget requests", acting_user=SYSTEM)
    client = login(world.users["board"])
    pm = sample.pm
    home = client.get(url("home")).content.decode()
    assert sample.pm.name in home and hidden.name not in home
    assert url("version", pm.pk, 1) in home and url("version", pm.pk, 2) not in home
    # the map's address opens the latest version they may read
    assert client.get(url("map", pm.pk))["Location"] == url("version", pm.pk, 1)
    assert client.get(url("map", hidden.pk)).status_code == 404
    page = client.get(url("version", pm.pk, 1))
    assert page.status_code == 200 and b"<svg" in page.content
    assert url("version", pm.pk, 2).encode() not in page.content
    for name in ("version", "svg", "png", "csv", "xlsx"):
        assert client.get(url(name, pm.pk, 1)).status_code == 200, name
        assert client.get(url(name, pm.pk, 2)).status_code == 404, name
        assert client.get(url(name, hidden.pk, 1)).status_code == 404, name
    assert client.get(url("compare", pm.pk) + "?a=1&b=2").status_code == 404
    # and draws nothing
    before = digest()
    s2 = sample.step(sample.published, "S2")
    assert client.get(url("edit_step", pm.pk, 1, s2.pk)).status_code == 403
    assert client.post(url("add_step", pm.pk, 2), step_data("X", None)).status_code == 404
    assert client.post(url("next_version", pm.pk, 1), {"kind": "to_be"}).status_code == 403
    assert client.get(url("import", pm.pk)).status_code == 403
    assert digest() == before


# ------------------------------------------------------------------ roles without the section


def _every_route(sample) -> list[tuple[str, str]]:
    pm, v = sample.pm, sample.draft
    s, f = sample.step(v, "S2"), sample.flow(v, "S2", "S3")
    n = v.number
    return [
        ("get", url("home")),
        ("get", url("new")),
        ("post", url("new")),
        ("get", url("map", pm.pk)),
        ("get", url("compare", pm.pk) + "?a=1&b=2"),
        ("get", url("import", pm.pk)),
        ("post", url("import", pm.pk)),
        *[("get", url(name, pm.pk, n)) for name in ("version", "svg", "png", "csv", "xlsx")],
        ("post", url("add_step", pm.pk, n)),
        ("post", url("add_flow", pm.pk, n)),
        ("post", url("next_version", pm.pk, n)),
        ("post", url("publish", pm.pk, n)),
        ("get", url("edit_step", pm.pk, n, s.pk)),
        ("post", url("edit_step", pm.pk, n, s.pk)),
        ("post", url("move_step", pm.pk, n, s.pk)),
        ("post", url("remove_step", pm.pk, n, s.pk)),
        ("post", url("remove_flow", pm.pk, n, f.pk)),
    ]


def test_every_route_is_covered_by_the_list_above(sample):
    from districtpm.processmaps.urls import urlpatterns

    covered = {address.split("?")[0] for _, address in _every_route(sample)}
    pm, v = sample.pm, sample.draft
    s, f = sample.step(v, "S2"), sample.flow(v, "S2", "S3")
    args = {"pk": pm.pk, "number": v.number, "step": s.pk, "flow": f.pk}
    for pattern in urlpatterns:
        names = pattern.pattern.converters.keys()
        assert url(pattern.name, *[args[k] for k in names]) in covered, pattern.name


@pytest.mark.parametrize("role", NO_SECTION)
def test_roles_without_the_section_are_refused_everywhere(world, login, sample, role):
    client = login(world.users[role])
    before = digest()
    for method, address in _every_route(sample):
        response = _send(client, method, address, {"confirm": "yes", "name": "X", "kind": "task"})
        assert response.status_code == 403, (role, method, address, response.status_code)
    assert digest() == before


# ------------------------------------------------------------------ those who draw


def test_the_pm_office_draws_everything_and_each_change_is_audited(world, login, sample):
    client = login(world.users["pm"])
    pm, v, lanes = sample.pm, sample.draft, sample.lanes
    n = v.number

    def one_entry(action: str, response) -> None:
        assert response.status_code == 302, (action, response.status_code)
        entry = AuditEntry.objects.filter(action__startswith="processmaps.").order_by("pk").last()
        assert entry.action == action and entry.actor_id == world.users["pm"].pk
        made = ProcessMap.objects.order_by("pk").last()
        assert entry.object_id == str(made.pk if action.endswith("map.create") else pm.pk)

    done = audit_count()
    one_entry(
        "processmaps.step.add",
        client.post(url("add_step", pm.pk, n), step_data("Check the bus route", lanes["TRN"])),
    )
    added = v.steps.get(name="Check the bus route")
    one_entry(
        "processmaps.step.add",
        client.post(url("add_step", pm.pk, n), step_data("Somebody decides", None)),
    )
    s6 = sample.step(v, "S6")
    one_entry(
        "processmaps.step.change",
        client.post(url("edit_step", pm.pk, n, s6.pk), step_data("Plan supports", lanes["WCS"])),
    )
    s6.refresh_from_db()
    assert s6.lane == lanes["WCS"]
    one_entry(
        "processmaps.step.move",
        client.post(url("move_step", pm.pk, n, added.pk), {"direction": "up"}),
    )
    one_entry(
        "processmaps.flow.add",
        client.post(
            url("add_flow", pm.pk, n),
            {"source": s6.pk, "target": sample.step(v, "S7").pk, "label": ""},
        ),
    )
    one_entry(
        "processmaps.flow.remove",
        client.post(url("remove_flow", pm.pk, n, sample.flow(v, "S4", "S5").pk)),
    )
    one_entry(
        "processmaps.step.remove",
        client.post(url("remove_step", pm.pk, n, added.pk), {"confirm": "yes"}),
    )
    one_entry(
        "processmaps.version.create",
        client.post(url("next_version", pm.pk, n), {"kind": "revision", "label": "Spring"}),
    )
    one_entry(
        "processmaps.version.publish", client.post(url("publish", pm.pk, n), {"confirm": "yes"})
    )
    one_entry(
        "processmaps.map.create",
        client.post(url("new"), {"name": "Transfers", "initiative": "", "description": ""}),
    )
    assert audit_count() == done + 10
    assert ProcessMap.objects.filter(name="Transfers").exists()
    # a change that changes nothing writes nothing
    s6.refresh_from_db()
    same = step_data(s6.name, s6.lane, kind=s6.kind, days=str(s6.days))
    v3 = pm.versions.get(number=3)
    s6_v3 = sample.step(v3, "S6")
    client.post(url("edit_step", pm.pk, 3, s6_v3.pk), same)
    assert audit_count() == done + 10


@pytest.mark.parametrize("role", ["slt", "admin"])
def test_senior_leaders_and_the_admin_draw_too(world, login, sample, role):
    client = login(world.users[role])
    response = client.post(
        url("add_step", sample.pm.pk, 2), step_data("Ask the school", sample.lanes["ENR"])
    )
    assert response.status_code == 302
    assert sample.draft.steps.filter(name="Ask the school").exists()


def test_a_published_version_no_longer_changes_even_for_the_pm_office(world, login, sample):
    client = login(world.users["pm"])
    pm, v = sample.pm, sample.published
    s2 = sample.step(v, "S2")
    before, audited = digest(), audit_count()
    client.post(url("add_step", pm.pk, 1), step_data("Late", sample.lanes["FAM"]))
    client.post(url("edit_step", pm.pk, 1, s2.pk), step_data("Renamed", sample.lanes["FAM"]))
    client.post(url("move_step", pm.pk, 1, s2.pk), {"direction": "up"})
    client.post(url("remove_step", pm.pk, 1, s2.pk), {"confirm": "yes"})
    client.post(url("remove_flow", pm.pk, 1, sample.flow(v, "S2", "S3").pk))
    assert digest() == before and audit_count() == audited


def test_a_lane_member_does_not_cut_another_lanes_flows_by_removing_a_step(world):
    """Removing a step takes the flows into it with it: a division member may not, when one
    of those flows is another lane's."""
    from django.core.exceptions import ValidationError

    sample = make_sample(world)
    member = world.users["team_member"]
    mine = Staff.objects.get(user=member).division_id
    target = next(
        s
        for s in sample.draft.steps.filter(lane_id=mine)
        if Flow.objects.filter(target=s).exclude(source__lane_id=mine).exists()
    )
    before = digest()
    with pytest.raises(ValidationError, match="Another division"):
        actions.remove_step(target, acting_user=member)
    assert digest() == before
    actions.remove_step(target, acting_user=world.users["pm"])  # the PM office may
    assert not Step.objects.filter(pk=target.pk).exists()


def test_a_version_holds_a_bounded_number_of_steps(world, monkeypatch):
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(actions, "MAX_STEPS", 2)
    pm = actions.create_map("Tiny", acting_user=SYSTEM)
    v = pm.versions.get()
    actions.add_step(v, name="One", acting_user=SYSTEM)
    actions.add_step(v, name="Two", acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="at most 2 steps"):
        actions.add_step(v, name="Three", acting_user=SYSTEM)
