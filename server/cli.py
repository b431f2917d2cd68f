"""The ``haken`` command: serve, migrate, seed-demo, export-schema, worker."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tortoise import Tortoise

from models.db import tortoise_config
from models.settings import Settings, SettingsError, current_settings
from server.app import BACKGROUND_LOOPS, BackgroundLoop, Supervisor
from server.logging import configure_logging, logging_config

logger = logging.getLogger("haken.cli")

GRACEFUL_SHUTDOWN_SECONDS = 30


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite://`` URL (None for other databases and ``:memory:``)."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path in {"", ":memory:"} else Path(path)


async def _init_db(url: str) -> bool:
    """Initialise Tortoise for a command unless the caller already did; True if we own it."""
    if Tortoise._inited:
        return False
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    return True


async def migrate(url: str) -> None:
    """Apply the migrations, then upsert the master data (idempotent)."""
    from models.master_data import load_master_data
    from models.migrate import migrate_database

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    await migrate_database(url)
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        await load_master_data()
    finally:
        await Tortoise.close_connections()


async def seed(url: str, *, today: date | None, seed_value: int, if_empty: bool) -> dict[str, int]:
    from server.demo import seed_demo

    owns = await _init_db(url)
    try:
        counts: dict[str, int] = await seed_demo(today=today, seed=seed_value, if_empty=if_empty)
        return counts
    finally:
        if owns:
            await Tortoise.close_connections()


async def run_worker(
    loops: Sequence[BackgroundLoop], *, url: str, stop: asyncio.Event | None = None
) -> Supervisor:
    """Run ``loops`` under a supervisor until SIGTERM/SIGINT (or ``stop``) and return it."""
    supervisor = Supervisor(loops, stop=stop)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, supervisor.stop.set)
    owns = await _init_db(url)
    try:
        logger.info("worker started with %d loop(s)", len(supervisor.loops))
        await supervisor.run()
        logger.info("worker stopped")
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        if owns:
            await Tortoise.close_connections()
    return supervisor


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    uvicorn.run(
        "server.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(args.log_level),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )
    return 0


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate(args.database_url or settings.database_url))
    print("migrated")
    return 0


def _cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    url = args.database_url or settings.database_url
    counts = asyncio.run(seed(url, today=args.today, seed_value=args.seed, if_empty=args.if_empty))
    for name, count in sorted(counts.items()):
        print(f"{name}: {count}")
    return 0


def _cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from schema.root import build_schema, export_sdl

    sys.stdout.write(export_sdl(build_schema(settings)))
    return 0


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from notifications.fanout import install_transactional_fanout
    from server.loops import register_loops

    install_transactional_fanout()
    register_loops()
    asyncio.run(run_worker(BACKGROUND_LOOPS, url=args.database_url or settings.database_url))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haken", description="Haken GraphQL back end")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP/WebSocket server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_cmd_serve)

    db_url = argparse.ArgumentParser(add_help=False)
    db_url.add_argument("--database-url", default=None, help="overrides DATABASE_URL")

    migrate_cmd = commands.add_parser("migrate", parents=[db_url], help="apply migrations")
    migrate_cmd.set_defaults(handler=_cmd_migrate)

    seed_cmd = commands.add_parser("seed-demo", parents=[db_url], help="load demo data")
    seed_cmd.add_argument("--if-empty", action="store_true", help="only into an empty database")
    seed_cmd.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    seed_cmd.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    seed_cmd.set_defaults(handler=_cmd_seed_demo)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(handler=_cmd_export_schema)

    worker = commands.add_parser("worker", parents=[db_url], help="run the background loops")
    worker.set_defaults(handler=_cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = current_settings()
    except SettingsError as error:
        print(f"haken: {error}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:  # respect a configuration already in place
        configure_logging(args.log_level)
    handler = args.handler
    return int(handler(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
