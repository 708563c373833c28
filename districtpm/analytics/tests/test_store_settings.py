"""DuckDB's memory limit and spill folder come from the settings, for writers and readers."""

from __future__ import annotations

from districtpm.analytics import store


def test_memory_limit_and_spill_folder_from_settings(settings, tmp_path):
    settings.ANALYTICS_MEMORY_LIMIT = "512MB"
    settings.ANALYTICS_TEMP_DIR = tmp_path / "spill"
    path = tmp_path / "analytics.duckdb"
    with store.connect(path) as con:
        limit, folder = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert limit in ("512.0 MiB", "488.2 MiB", "512MB")
    assert folder == str(tmp_path / "spill")
    reader = store.ibis_connection(path)
    try:
        got = reader.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        reader.disconnect()
    assert got == limit


def test_unset_they_are_duckdbs_own(settings, tmp_path):
    settings.ANALYTICS_MEMORY_LIMIT = ""
    settings.ANALYTICS_TEMP_DIR = ""
    with store.connect(tmp_path / "analytics.duckdb") as con:
        folder = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert folder == str(tmp_path / "analytics.duckdb.tmp")
