"""The analytics store is one DuckDB file, which only one process may have open for writing
while none other has it open at all. The product serves from several worker processes, each of
which may run an import or a recompute: they must queue for the file, not fail."""

from __future__ import annotations

import multiprocessing

from districtpm.analytics import store


def _hold_for_writing(path: str, opened, seconds: float) -> None:
    with store.connect(path) as con:
        con.execute("INSERT INTO _imports (file_name, table_name, rows) VALUES ('first', 't', 1)")
        opened.set()
        multiprocessing.Event().wait(seconds)


def _read_while_held(path: str, opened, out) -> None:
    opened.wait(30)
    with store.connect(path, read_only=True) as con:
        out.put([r[0] for r in con.execute("SELECT file_name FROM _imports").fetchall()])


def test_a_second_process_waits_for_the_writer_instead_of_failing(tmp_path):
    path = str(tmp_path / "analytics.duckdb")
    with store.connect(path):
        pass
    context = multiprocessing.get_context("fork")
    opened = context.Event()
    writer = context.Process(target=_hold_for_writing, args=(path, opened, 1.5))
    writer.start()
    try:
        assert opened.wait(30)
        # the writer still has the file open: this connection waits for it to finish
        with store.connect(path) as con:
            con.execute(
                "INSERT INTO _imports (file_name, table_name, rows) VALUES ('second', 't', 1)"
            )
            names = [r[0] for r in con.execute("SELECT file_name FROM _imports").fetchall()]
    finally:
        writer.join(30)
    assert writer.exitcode == 0
    assert sorted(names) == ["first", "second"]


def test_a_reader_in_another_process_waits_for_the_writer(tmp_path):
    path = str(tmp_path / "analytics.duckdb")
    with store.connect(path):
        pass
    context = multiprocessing.get_context("fork")
    opened, out = context.Event(), context.Queue()
    reader = context.Process(target=_read_while_held, args=(path, opened, out))
    reader.start()
    try:
        _hold_for_writing(path, opened, 1.0)
        seen = out.get(timeout=30)
    finally:
        reader.join(30)
    assert reader.exitcode == 0
    # the reader saw the writer's committed row, not a half-open file or an error
    assert seen == ["first"]
