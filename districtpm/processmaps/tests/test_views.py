"""The process map pages: a version shows its drawing inline with its gaps and hand-offs; the PM
office edits it in place (a step added, flows connected, steps moved and removed after asking,
a new version started, a version published after asking); comparing two versions lists exactly
what changed; ids and parameters that name nothing are not found, never an error."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.processmaps import actions
from districtpm.processmaps.models import Flow, ProcessMap, Step
from districtpm.processmaps.tests.sample import MAP_NAME, digest, make_sample


def url(name: str, *args: int) -> str:
    return reverse(f"processmaps:{name}", args=args)


@pytest.fixture
def sample(world):
    return make_sample(world)


def text_of(response) -> str:
    """The page's text, tags dropped and spaces squeezed."""
    body = re.sub(r"<svg.*?</svg>", " ", response.content.decode(), flags=re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return re.sub(r" ([:.,;?])", r"\1", words)


@pytest.mark.parametrize("role", ["pm", "team_lead", "principal_a", "board"])
def test_a_version_shows_its_drawing_its_gaps_and_its_handoffs(world, login, sample, role):
    client = login(world.users[role])
    response = client.get(url("version", sample.pm.pk, 1))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 1 and 'class="processmap"' in page
    assert 'data-key="S6"' in page  # the drawing is inline, with its steps
    words = text_of(response)
    assert "4 hand-offs between divisions." in words
    assert "Critical path: 6 days" in words
    assert "Nobody owns the step: S6 Plan supports" in words
    assert "No way on from the step to an end" in words
    assert "Download: picture (PNG)" in words


def test_a_clean_version_says_it_has_no_gap(world, login, sample):
    v = sample.draft
    s6 = sample.step(v, "S6")
    actions.change_step(s6, lane=sample.lanes["WCS"], acting_user=SYSTEM)
    actions.connect(s6, sample.step(v, "S7"), acting_user=SYSTEM)
    words = text_of(login(world.users["pm"]).get(url("version", sample.pm.pk, 2)))
    assert "No gap found" in words and "5 hand-offs between divisions." in words


def test_the_pm_office_edits_a_version_in_place(world, login, sample):
    client = login(world.users["pm"])
    pm, v = sample.pm, sample.draft
    page = client.get(url("version", pm.pk, 2)).content.decode()
    for form in ("add_step", "add_flow", "next_version", "publish"):
        assert url(form, pm.pk, 2) in page, form

    # add a step
    response = client.post(
        url("add_step", pm.pk, 2),
        {"kind": "task", "name": "Home visit", "lane": sample.lanes["FAM"].pk, "days": "2"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#steps")
    visit = v.steps.get(name="Home visit")
    assert visit.key == "S8" and visit.order == 8
    # a form that is not filled in is said so, and adds nothing
    response = client.post(
        url("add_step", pm.pk, 2), {"kind": "task", "name": "", "days": "x"}, follow=True
    )
    assert "Give the step a name" in response.content.decode() and v.steps.count() == 8

    # connect: the decision's "No" now goes to the visit, and the visit on to the plan
    s3, s6 = sample.step(v, "S3"), sample.step(v, "S6")
    response = client.post(
        url("add_flow", pm.pk, 2), {"source": s3.pk, "target": visit.pk, "label": "No answer"}
    )
    assert response.status_code == 302
    client.post(url("add_flow", pm.pk, 2), {"source": visit.pk, "target": s6.pk, "label": ""})
    assert Flow.objects.filter(source=s3, target=visit, label="No answer").exists()
    # the same flow twice is refused with a message
    response = client.post(
        url("add_flow", pm.pk, 2), {"source": s3.pk, "target": visit.pk}, follow=True
    )
    assert "already leads to" in response.content.decode()
    assert Flow.objects.filter(source=s3, target=visit).count() == 1

    # move: the visit one place earlier
    client.post(url("move_step", pm.pk, 2, visit.pk), {"direction": "up"})
    assert list(v.steps.order_by("order").values_list("key", flat=True))[-2:] == ["S8", "S7"]

    # change a step on its own page
    s6_page = client.get(url("edit_step", pm.pk, 2, s6.pk))
    assert s6_page.status_code == 200 and b"Plan supports" in s6_page.content
    client.post(
        url("edit_step", pm.pk, 2, s6.pk),
        {"kind": "task", "name": "Plan supports", "lane": sample.lanes["WCS"].pk, "days": "3"},
    )
    s6.refresh_from_db()
    assert s6.lane == sample.lanes["WCS"] and float(s6.days) == 3

    # remove: asked first, then removed with its flows
    response = client.post(url("remove_step", pm.pk, 2, visit.pk))
    assert response.status_code == 200
    assert "Remove step S8?" in text_of(response) and Step.objects.filter(pk=visit.pk).exists()
    client.post(url("remove_step", pm.pk, 2, visit.pk), {"confirm": "yes"})
    assert not Step.objects.filter(pk=visit.pk).exists()
    assert not Flow.objects.filter(target__key="S8", version=v).exists()
    removal = AuditEntry.objects.get(action="processmaps.step.remove")
    assert removal.before["key"] == "S8" and ["S3", "S8", "No answer"] in removal.before["flows"]

    # a new version, as a copy of this one
    response = client.post(
        url("next_version", pm.pk, 2), {"kind": "revision", "label": "After the spring review"}
    )
    assert response["Location"] == url("version", pm.pk, 3)
    v3 = pm.versions.get(number=3)
    assert v3.title == "After the spring review" and v3.kind == "revision"
    assert v3.steps.count() == v.steps.count() and v3.flows.count() == v.flows.count()

    # publish: asked first, then published; a published version offers no change
    response = client.post(url("publish", pm.pk, 3))
    assert response.status_code == 200 and "Publish After the spring review?" in text_of(response)
    assert not pm.versions.get(number=3).published
    client.post(url("publish", pm.pk, 3), {"confirm": "yes"})
    assert pm.versions.get(number=3).published
    page = client.get(url("version", pm.pk, 3)).content.decode()
    assert url("add_step", pm.pk, 3) not in page and url("publish", pm.pk, 3) not in page
    assert url("next_version", pm.pk, 3) in page


def test_a_new_map_starts_with_an_empty_version(world, login):
    client = login(world.users["pm"])
    assert client.get(url("new")).status_code == 200
    response = client.post(url("new"), {"name": "Bus route changes", "description": ""})
    pm = ProcessMap.objects.get(name="Bus route changes")
    assert response["Location"] == url("version", pm.pk, 1)
    words = text_of(client.get(url("version", pm.pk, 1)))
    assert "No steps yet." in words and "Nothing to check yet: the map has no steps." in words
    response = client.post(url("new"), {"name": "   ", "description": ""})
    assert response.status_code == 200 and ProcessMap.objects.count() == 1


def test_the_list_shows_each_map_and_its_versions(world, login, sample):
    response = login(world.users["pm"]).get(url("home"))
    assert response.status_code == 200
    words = text_of(response)
    assert MAP_NAME in words and "As is (version 1) (published)" in words
    assert "To be (version 2)" in words and "New process map" in words
    assert login(world.users["pm"]).get(url("map", sample.pm.pk))["Location"] == url(
        "version", sample.pm.pk, 2
    )


def test_compare_lists_exactly_the_changes(world, login, sample):
    v = sample.draft
    lanes = sample.lanes
    # the to-be: supports planned by Whole Child Supports, who then close the case; the bus
    # stop step removed (the family goes straight to enrollment); a new check-in step
    s6 = sample.step(v, "S6")
    actions.change_step(s6, lane=lanes["WCS"], days=1, acting_user=SYSTEM)
    actions.connect(s6, sample.step(v, "S7"), acting_user=SYSTEM)
    actions.remove_step(sample.step(v, "S4"), acting_user=SYSTEM)
    actions.connect(sample.step(v, "S3"), sample.step(v, "S5"), "Yes", acting_user=SYSTEM)
    checkin = actions.add_step(
        v, key="S9", name="Weekly check-in", lane=lanes["WCS"], days=1, acting_user=SYSTEM
    )
    actions.connect(sample.step(v, "S5"), checkin, acting_user=SYSTEM)
    actions.connect(checkin, sample.step(v, "S7"), acting_user=SYSTEM)
    actions.disconnect(sample.flow(v, "S5", "S7"), acting_user=SYSTEM)

    response = login(world.users["pm"]).get(url("compare", sample.pm.pk) + "?a=1&b=2")
    assert response.status_code == 200
    words = text_of(response)
    items = re.findall(r"<li><strong>(\w+)</strong> ([^<]*)</li>", response.content.decode())
    changes = sorted((kind, " ".join(what.split())) for kind, what in items)
    assert changes == sorted(
        [
            ("Added", "S9 Weekly check-in"),
            ("Removed", "S4 Move the bus stop"),
            ("Moved", "S6 Plan supports: from no owner to Whole Child Supports"),
            ("Added", "S3 → S5"),
            ("Added", "S5 → S9"),
            ("Added", "S6 → S7"),
            ("Added", "S9 → S7"),
            ("Removed", "S3 → S4"),
            ("Removed", "S4 → S5"),
            ("Removed", "S5 → S7"),
        ]
    )
    # hand-offs 4 → 4 (S1→S2, S3→S5, S3→S6, S5→S9), gaps 2 → 0, critical path 6 → 4 days
    assert "Hand-offs between divisions 4 4 no change" in words
    assert "Gaps 2 0 −2" in words
    assert "Critical path, days 6 4 −2" in words
    assert response.content.decode().count("<svg") == 2


def test_comparing_a_version_with_itself_says_nothing_changed(world, login, sample):
    words = text_of(login(world.users["pm"]).get(url("compare", sample.pm.pk) + "?a=1&b=2"))
    assert "The two versions have the same steps and flows." in words


def test_ids_and_parameters_that_name_nothing_are_not_found(world, login, sample):
    client = login(world.users["pm"])
    pm = sample.pm
    s = sample.step(sample.draft, "S2")
    big = 2**63
    other = actions.create_map("Another", acting_user=SYSTEM)
    before = digest()
    for address in [
        url("map", 999999),
        url("map", big),
        url("version", pm.pk, 9),
        url("version", pm.pk, 0),
        url("version", pm.pk, 99999),
        url("version", big, 1),
        url("version", pm.pk, big),
        url("svg", pm.pk, 9),
        url("png", 999999, 1),
        url("csv", pm.pk, big),
        url("xlsx", pm.pk, 9),
        url("edit_step", pm.pk, 2, 999999),
        url("edit_step", pm.pk, 2, big),
        url("edit_step", other.pk, 1, s.pk),  # a step of another map
        url("import", 999999),
        url("compare", 999999) + "?a=1&b=2",
        url("compare", pm.pk),
        url("compare", pm.pk) + "?a=1",
        url("compare", pm.pk) + "?a=x&b=2",
        url("compare", pm.pk) + "?a=1&b=",
        url("compare", pm.pk) + "?a=1&b=9",
        url("compare", pm.pk) + "?a=-1&b=2",
        url("compare", pm.pk) + f"?a=1&b={big}",
        url("compare", pm.pk) + "?a=1&b=99999999999999999999999999",
        url("compare", pm.pk) + "?a=1.5&b=2",
    ]:
        assert client.get(address).status_code == 404, address
    for address, data in [
        (url("add_step", pm.pk, 9), {"name": "X", "kind": "task", "days": "0"}),
        (url("move_step", pm.pk, 2, 999999), {"direction": "up"}),
        (url("remove_step", pm.pk, 2, big), {"confirm": "yes"}),
        (url("remove_flow", pm.pk, 2, 999999), {}),
        (url("remove_flow", pm.pk, 2, big), {}),
        (url("next_version", 999999, 1), {"kind": "to_be"}),
        (url("publish", pm.pk, 9), {"confirm": "yes"}),
    ]:
        assert client.post(address, data).status_code == 404, address
    # junk in a form is a message, not an error
    for address, data in [
        (url("add_flow", pm.pk, 2), {"source": "junk", "target": str(big)}),
        (url("add_flow", pm.pk, 2), {"source": s.pk, "target": s.pk}),
        (url("add_step", pm.pk, 2), {"name": "X", "kind": "meeting", "days": "1"}),
        (url("add_step", pm.pk, 2), {"name": "X", "kind": "task", "days": "-1"}),
        (url("add_step", pm.pk, 2), {"name": "X", "kind": "task", "days": "1e9"}),
        (url("add_step", pm.pk, 2), {"name": "X", "kind": "task", "days": "NaN"}),
        (url("move_step", pm.pk, 2, s.pk), {"direction": "sideways"}),
        (url("next_version", pm.pk, 2), {"kind": "someday"}),
    ]:
        response = client.post(address, data)
        assert response.status_code in (200, 302), (address, data, response.status_code)
    assert digest() == before


def test_free_text_stays_text_on_the_page(world, login, sample):
    v = sample.draft
    actions.change_step(
        sample.step(v, "S2"), name='<script>alert("x")</script> & co', acting_user=SYSTEM
    )
    actions.add_step(
        v, name="<img src=x onerror=alert(1)>", lane=sample.lanes["FAM"], acting_user=SYSTEM
    )
    page = login(world.users["pm"]).get(url("version", sample.pm.pk, 2)).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
