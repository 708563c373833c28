"""The one OneRoster bundle reader both importers use."""

from __future__ import annotations

import io
import zipfile

from districtpm.core import intake

ORGS = b"sourcedId,name,type\no1,Lincoln,school\n"
USERS = b"sourcedId,role\nu1,teacher\n"


def test_a_folder_a_zip_and_files_read_alike_and_only_the_named_files_are_parsed(tmp_path):
    (tmp_path / "orgs.csv").write_bytes(ORGS)
    (tmp_path / "users.csv").write_bytes(USERS)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("orgs.csv", ORGS)
        z.writestr("users.csv", USERS)
    zip_path = tmp_path / "bundle.zip"
    zip_path.write_bytes(packed.getvalue())
    read = [
        intake.read_bundle(tmp_path),
        intake.read_bundle(zip_path),
        intake.read_bundle({"orgs.csv": ORGS, "users.csv": USERS}),
    ]
    for tables in read:
        assert tables["orgs.csv"].headers == ["sourcedId", "name", "type"]
        assert tables["orgs.csv"].rows[0][:2] == (
            2,
            {"sourcedId": "o1", "name": "Lincoln", "type": "school"},
        )
    only = intake.read_bundle(
        {"orgs.csv": ORGS, "results.csv": b"\xff\xfe broken"}, only=("orgs.csv",)
    )
    assert set(only) == {"orgs.csv"}
