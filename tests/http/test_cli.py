"""The ``haken`` command in-process: export-schema, migrate, and the worker's supervisor."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from tortoise import connections

from models.settings import current_settings
from server.app import BackgroundLoop, Supervisor
from server.cli import main, run_worker, sqlite_path


def test_export_schema_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    from schema.root import build_schema, export_sdl

    # when
    code = main(["export-schema"])
    # then
    out = capsys.readouterr().out
    assert code == 0
    assert out == export_sdl(build_schema(current_settings()))
    assert "type Query {" in out
    assert "type Mutation {" in out
    assert out.endswith("}\n")


def test_export_schema_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    main(["export-schema"])
    first = capsys.readouterr().out
    main(["export-schema"])
    assert capsys.readouterr().out == first


def test_migrate_creates_a_fresh_sqlite_file_with_master_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a database path whose folder does not exist yet
    target = tmp_path / "var" / "nested" / "haken.sqlite3"
    # when
    code = main(["migrate", "--database-url", f"sqlite://{target}"])
    # then
    assert code == 0
    assert target.is_file()
    with sqlite3.connect(target) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        prefectures = db.execute("SELECT COUNT(*) FROM prefecture").fetchone()[0]
    assert {"prefecture", "regional_office", "dispatch_case"} <= tables
    assert prefectures == 47
    assert "migrated" in capsys.readouterr().out


def test_migrate_twice_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "haken.sqlite3"
    assert main(["migrate", "--database-url", f"sqlite://{target}"]) == 0
    assert main(["migrate", "--database-url", f"sqlite://{target}"]) == 0
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT COUNT(*) FROM prefecture").fetchone()[0] == 47


def test_sqlite_path_understands_the_url_forms() -> None:
    assert sqlite_path("sqlite://var/haken.sqlite3") == Path("var/haken.sqlite3")
    assert sqlite_path("sqlite:///tmp/x.db?journal_mode=wal") == Path("/tmp/x.db")
    assert sqlite_path("sqlite://:memory:") is None
    assert sqlite_path("postgres://postgres@127.0.0.1/haken") is None


async def test_the_supervisor_restarts_a_failing_loop_in_fresh_tasks() -> None:
    # given a loop whose second unit fails, and which asks to stop after five good units
    stop = asyncio.Event()
    tasks: list[asyncio.Task[object] | None] = []

    async def step() -> bool:
        tasks.append(asyncio.current_task())
        if len(tasks) == 2:
            raise RuntimeError("unit failed")
        if len(tasks) == 6:
            stop.set()
        return True

    supervisor = Supervisor([BackgroundLoop("probe", step)], stop=stop, restart_seconds=0)
    # when
    await supervisor.run()
    # then it kept going after the failure and stopped on the event
    assert supervisor.failures == {"probe": 1}
    assert supervisor.passes == {"probe": 5}
    assert len(set(map(id, tasks))) == len(tasks) == 6


async def test_the_supervisor_lets_the_current_unit_finish_on_stop() -> None:
    stop = asyncio.Event()
    finished: list[bool] = []

    async def step() -> bool:
        stop.set()  # the stop arrives while a unit is in progress
        await asyncio.sleep(0)
        finished.append(True)
        return False

    supervisor = Supervisor([BackgroundLoop("slow", step, idle_seconds=3600)], stop=stop)
    await supervisor.run()
    assert finished == [True]
    assert supervisor.passes == {"slow": 1}


async def test_the_supervisor_reports_a_stalled_loop() -> None:
    now = [100.0]
    stop = asyncio.Event()

    async def step() -> bool:
        stop.set()
        return False

    supervisor = Supervisor(
        [BackgroundLoop("outbox", step, stall_seconds=60)], stop=stop, clock=lambda: now[0]
    )
    await supervisor.run()
    assert supervisor.status() == {"outbox": "ok"}
    now[0] += 61
    assert supervisor.status() == {"outbox": "stalled"}


async def test_an_empty_supervisor_waits_for_the_stop_signal() -> None:
    stop = asyncio.Event()
    supervisor = Supervisor([], stop=stop)
    runner = asyncio.create_task(supervisor.run())
    await asyncio.sleep(0)
    assert not runner.done()
    stop.set()
    await runner
    assert supervisor.status() == {}


async def test_the_worker_runs_units_against_the_database_and_exits_on_sigterm(db: str) -> None:
    # given a loop that queries the database and sends SIGTERM to this process on its third unit
    results: list[int] = []

    async def step() -> bool:
        rows = await connections.get("default").execute_query_dict("SELECT 1 AS one")
        results.append(rows[0]["one"])
        if len(results) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return True

    # when
    supervisor = await run_worker([BackgroundLoop("probe", step)], url=db)
    # then the signal stopped it cleanly between units
    assert supervisor.stop.is_set()
    assert results[:3] == [1, 1, 1]
    assert supervisor.failures == {"probe": 0}
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
