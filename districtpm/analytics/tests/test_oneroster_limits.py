"""The student-data OneRoster reader refuses zip bombs and unsafe zips before reading them whole."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from districtpm.analytics import store
from districtpm.analytics.importer import ImportFailed
from districtpm.analytics.oneroster import import_bundle
from districtpm.analytics.tests.test_oneroster import FILES, RULES


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def bomb(tmp_path: Path, padding_mb: int = 4) -> Path:
    """A valid bundle whose results.csv is padded with blank lines: tiny zipped, large expanded."""
    files = {k: v.encode() for k, v in FILES.items()}
    files["results.csv"] += b"\n" * (padding_mb * 1024 * 1024)
    return write_zip(tmp_path / "bundle.zip", files)


def test_zip_bomb_is_refused_before_it_is_read_whole(tmp_path, settings):
    settings.DISTRICTPM_MAX_EXPANDED_MB = 1
    path = bomb(tmp_path)
    assert path.stat().st_size < 64 * 1024  # a few KB that expand to 4 MB
    db = tmp_path / "a.duckdb"
    with pytest.raises(ImportFailed) as failure:
        import_bundle(path, RULES, store_path=db)
    message = str(failure.value.result.errors[0])
    assert "bundle.zip expands to" in message
    assert "at most 1 MB" in message
    assert str(tmp_path) not in message  # never a server path
    assert not db.exists()  # nothing was written


def test_the_same_bundle_within_the_limit_imports(tmp_path, settings):
    settings.DISTRICTPM_MAX_EXPANDED_MB = 8
    db = tmp_path / "a.duckdb"
    result = import_bundle(bomb(tmp_path), RULES, store_path=db)
    assert result.rows["assessments"] == 3
    with store.connect(db) as con:
        assert con.execute("SELECT count(*) FROM assessments").fetchone()[0] == 3


def test_too_many_members_and_two_files_of_one_name_are_refused(tmp_path, settings):
    settings.DISTRICTPM_MAX_ZIP_MEMBERS = 8
    files = {k: v.encode() for k, v in FILES.items()}
    crowded = write_zip(tmp_path / "crowded.zip", {**files, "a.txt": b"", "b.txt": b""})
    with pytest.raises(ImportFailed) as failure:
        import_bundle(crowded, RULES, store_path=tmp_path / "a.duckdb")
    assert "crowded.zip holds 9 files; a zip may hold at most 8" in str(
        failure.value.result.errors[0]
    )
    twice = write_zip(
        tmp_path / "twice.zip", {**files, "old/orgs.csv": files["orgs.csv"].replace(b"Elm", b"Oak")}
    )
    with pytest.raises(ImportFailed) as failure:
        import_bundle(twice, RULES, store_path=tmp_path / "a.duckdb")
    assert "contains orgs.csv twice" in str(failure.value.result.errors[0])


def test_duplicate_headers_and_non_utf8_are_refused(tmp_path):
    files = {k: v.encode() for k, v in FILES.items()}
    files["orgs.csv"] = files["orgs.csv"].replace(b"identifier", b"name", 1)
    with pytest.raises(ImportFailed) as failure:
        import_bundle(files, RULES, store_path=tmp_path / "a.duckdb")
    assert "'name' appears twice in the header row" in str(failure.value.result.errors[0])
    files = {k: v.encode() for k, v in FILES.items()}
    files["users.csv"] = FILES["users.csv"].replace("One", "Öne").encode("latin-1")
    with pytest.raises(ImportFailed) as failure:
        import_bundle(files, RULES, store_path=tmp_path / "a.duckdb")
    assert "users.csv is not UTF-8 text" in str(failure.value.result.errors[0])


def test_command_line_refuses_the_bomb_without_a_traceback(tmp_path, settings, capsys):
    settings.DISTRICTPM_MAX_EXPANDED_MB = 1
    settings.ANALYTICS_PATH = tmp_path / "a.duckdb"
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "data", "oneroster", str(bomb(tmp_path)), "--rules", str(RULES), "--no-recompute"
        )
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "bundle.zip expands to" in err
    assert "Traceback" not in err
