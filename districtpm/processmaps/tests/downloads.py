"""The process map downloads, each requested as every role by
accounts/tests/test_downloads_by_role: a version's drawing (SVG and PNG) and its steps (CSV and
Excel). The sample map's version 1 is published; version 2, a draft, has a step of its own.
Every reader of the maps gets both versions; the board gets version 1 only (version 2 is not
found, and nothing of it shows in what they get); roles without the maps are refused."""

from __future__ import annotations

import csv
import io
import struct
import xml.etree.ElementTree as ET
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook

from districtpm.core.scoping import SYSTEM
from districtpm.processmaps import actions
from districtpm.processmaps.tests.sample import STEPS, make_sample

# who has the process maps at all (processmaps.view)
READERS = {
    "admin",
    "pm",
    "slt",
    "team_lead",
    "team_member",
    "network_1",
    "network_2",
    "principal_a",
    "principal_b",
    "board",
}
PUBLISHED_ONLY = {"board"}
DRAFT_STEP = "Draft-only-step-q19"
KEYS = {1: {k for k, *_ in STEPS}, 2: {k for k, *_ in STEPS} | {"S8"}}


def _data(check: Any) -> Any:
    if "processmaps" in check.district:
        return check.district["processmaps"]
    sample = make_sample(check.world)
    actions.add_step(
        sample.draft, key="S8", name=DRAFT_STEP, lane=sample.lanes["ENR"], acting_user=SYSTEM
    )
    check.district["processmaps"] = sample
    return sample


def _svg_text(content: bytes) -> str:
    root = ET.fromstring(content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return " ".join(root.itertext())


def _png_ok(content: bytes) -> str:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    assert width > 200 and height > 100
    return ""


def _csv_keys(content: bytes) -> tuple[set[str], str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert rows[0][:3] == ["Key", "Kind", "Name"]
    return {r[0] for r in rows[1:]}, " ".join(r[2] for r in rows[1:])


def _xlsx_keys(content: bytes) -> tuple[set[str], str]:
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert list(rows[0][:3]) == ["Key", "Kind", "Name"]
    return {r[0] for r in rows[1:]}, " ".join(str(r[2]) for r in rows[1:])


KINDS = {
    "processmaps:svg": "image/svg+xml",
    "processmaps:png": "image/png",
    "processmaps:csv": "text/csv",
    "processmaps:xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_download(name: str):  # noqa: ANN201
    def check_it(check: Any) -> None:
        sample = _data(check)
        for number in (1, 2):
            response = check.get(reverse(name, args=[sample.pm.pk, number]))
            if check.role not in READERS:
                assert response.status_code == 403, (check.role, number)
                continue
            if check.role in PUBLISHED_ONLY and number == 2:
                assert response.status_code == 404, (check.role, number)
                continue
            assert response.status_code == 200, (check.role, number)
            assert response["Content-Type"].startswith(KINDS[name]), check.role
            assert response["Content-Disposition"].startswith("attachment;"), check.role
            if name == "processmaps:svg":
                text = _svg_text(response.content)
                assert "Call the family" in text, check.role
                assert (DRAFT_STEP in text) is (number == 2), (check.role, number)
            elif name == "processmaps:png":
                _png_ok(response.content)
            else:
                parse = _csv_keys if name == "processmaps:csv" else _xlsx_keys
                keys, names = parse(response.content)
                assert keys == KEYS[number], (check.role, number)
                assert (DRAFT_STEP in names) is (number == 2), (check.role, number)

    return check_it


CHECKERS = {name: check_download(name) for name in KINDS}
