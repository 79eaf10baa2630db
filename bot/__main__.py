"""Command line and the one composition root: settings → logging → database → services → scheduler → client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

from bot import logs
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings, token_user_id
from bot.db import Database
from bot.db import migrate as migrations
from bot.db.engine import sqlite_file_missing
from bot.preflight import CONFIG_ERROR, RUNTIME_ERROR, Problem, check_discord
from bot.scheduling import APScheduler
from bot.services import Services

log = logging.getLogger("bot")
# How long a stop waits for discord.py to close its connections before cancelling them.
SHUTDOWN_SECONDS = 10


def _client_id_from_token(token: str) -> int:
    # The first segment of a bot token is the bot's user id in base64; for bots it equals the client id.
    # Settings.token() has already refused tokens whose first segment is not one.
    user_id = token_user_id(token)
    if user_id is None:
        raise ConfigError("DISCORD_TOKEN is malformed: expected the bot token from the Developer Portal")
    return user_id


async def _run_bot(settings: Settings, token: str, *, sync_only: bool = False) -> int:
    from bot.client import CirclesBot
    from bot.discord_seams import point_at_endpoints

    point_at_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    db = Database(settings.database_url)
    scheduler = APScheduler()
    services = Services.build(db, SystemClock(), scheduler)
    shard_ids = list(settings.shard_id_list) if settings.shard_id_list else None
    bot = CirclesBot(
        services,
        shard_count=settings.shard_count,
        shard_ids=shard_ids,
        dev_guild_id=settings.dev_guild_id,
        sync_commands=not sync_only,
        gateway_url=settings.discord_gateway_url,
    )
    try:
        if sync_only:
            await bot.login(token)  # login runs setup_hook, which loads every extension
            await bot.sync_commands(force=True)
            return 0
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        runner = asyncio.create_task(bot.start(token))
        waiter = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # a login failure surfaces here (preflight has ruled out the usual ones)
            return 0
        log.info("shutting down")
        # Wake-ups first: none may still be talking to Discord while the client closes its session.
        scheduler.shutdown()
        await scheduler.stopped()
        await bot.close()
        # discord.py reconnecting to a gateway it cannot reach may not notice the close: don't wait forever.
        _, pending = await asyncio.wait({runner}, timeout=SHUTDOWN_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        return 0
    finally:
        scheduler.shutdown()
        if not bot.is_closed():
            # discord.py's sharded close() assumes a login happened; a signal that early has nothing to close.
            with contextlib.suppress(AttributeError):
                await bot.close()
        try:
            await services.voice.shutdown()  # open voice sessions end now (else at the alive mark)
        except Exception as exc:
            log.warning("could not end the open voice sessions (%s)", type(exc).__name__)
        await services.standups.answers.flush_message_ids()
        # A clean stop, recorded last (nothing of this process writes after it): another process may take
        # this one's unfinished claims over at once.
        try:
            await services.liveness.stop()
        except Exception as exc:  # the database went away first: the heartbeat simply runs out
            log.warning("could not record the clean stop (%s)", type(exc).__name__)
        await db.dispose()


def _check(settings: Settings) -> list[Problem]:
    """Everything wrong with the configuration, Discord and the database, one line each."""
    problems: list[Problem] = []
    token: str | None = None
    try:
        token = settings.token()
    except ConfigError as exc:
        problems.append(Problem(str(exc), CONFIG_ERROR))
    try:
        settings.check_sharding()
    except ConfigError as exc:
        problems.append(Problem(str(exc), CONFIG_ERROR))

    async def discord() -> None:
        if token is not None:
            try:
                await check_discord(token, settings.discord_api_base, settings.discord_gateway_url)
            except Problem as problem:
                problems.append(problem)

    async def database() -> None:
        unwritable = _sqlite_directory_problem(settings.database_url)
        if unwritable is not None:
            problems.append(Problem(unwritable, RUNTIME_ERROR))
            return
        if sqlite_file_missing(settings.database_url):
            print("database: the SQLite file does not exist yet; `python -m bot` creates and migrates it")
            return
        try:
            current = await migrations.current_revision(settings.database_url)
        except Exception as exc:  # any driver error: report it as one line
            reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
            problems.append(Problem(f"DATABASE_URL: cannot connect ({reason})", RUNTIME_ERROR))
            return
        head = migrations.head_revision()
        if current != head:
            print(f"database: at revision {current or 'none'}, head is {head}: `python -m bot` migrates at start-up")

    async def both() -> None:
        await discord()
        await database()

    asyncio.run(both())
    return problems


def _sqlite_directory_problem(url: str) -> str | None:
    """Why the SQLite file cannot be created or written where DATABASE_URL puts it (creating nothing), or None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    file = Path(parsed.database)
    folder = file.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"DATABASE_URL: the data directory {folder} cannot be created: {existing} is not a directory"
    try:
        # SQLite writes beside the file too (the -wal and -shm files): the folder must take new files.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"DATABASE_URL: the data directory {existing} is not writable ({exc.strerror or exc})"
    if file.exists() and not file.is_file():
        return f"DATABASE_URL: {file} is not a file"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Cowork Circles Discord bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "check", "sync-commands", "invite-url", "playground"],
        help="run (default): migrate, then run the bot; playground: try it locally (docs/PLAYGROUND.md)",
    )
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["playground"]:
        return _playground(arguments[1:])  # its own options (--port, --help) are the playground's
    args = parser.parse_args(arguments)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    secret = settings.discord_token.get_secret_value() if settings.discord_token else ""
    logs.configure(settings.log_level, settings.log_format, secrets=[secret])

    if args.command == "check":
        problems = _check(settings)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if not problems:
            print("configuration, Discord and database OK")
            return 0
        # Configuration first, as `run` would stop there before touching anything else.
        return CONFIG_ERROR if any(p.exit_code == CONFIG_ERROR for p in problems) else RUNTIME_ERROR
    if args.command == "migrate":
        if not _migrate(settings):
            return RUNTIME_ERROR
        print(f"database at revision {migrations.head_revision()}")
        return 0
    try:
        token = settings.token()
        settings.check_sharding()
        if args.command == "invite-url":
            from bot.client import invite_url

            print(invite_url(_client_id_from_token(token)))
            return 0
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    try:
        # Before migrating: a rejected token or a wrong address is one line, and nothing has been created.
        asyncio.run(check_discord(token, settings.discord_api_base, settings.discord_gateway_url))
    except Problem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return problem.exit_code
    if not _migrate(settings):
        return RUNTIME_ERROR
    try:
        return asyncio.run(_run_bot(settings, token, sync_only=args.command == "sync-commands"))
    except (aiohttp.ClientConnectionError, OSError) as exc:
        # Discord became unreachable between the preflight and the login: still one line.
        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        print(f"error: cannot reach Discord: {reason}", file=sys.stderr)
        return RUNTIME_ERROR


def _playground(args: list[str]) -> int:
    """The emulator (test tooling, not the product) runs from the checkout in its own process: never imported here."""
    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / "emulator" / "playground" / "__main__.py").is_file():
        print("error: the playground needs a source checkout installed with `pip install -e '.[dev]'`", file=sys.stderr)
        return CONFIG_ERROR
    command = [sys.executable, "-m", "emulator.playground", *args]
    with subprocess.Popen(command, cwd=checkout) as child:
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())  # a service manager's stop reaches it too
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:  # Ctrl-C reached the child too: let it stop the bot and the emulator
                continue


def _migrate(settings: Settings) -> bool:
    """Migrate to head; an unreachable or broken database is one clear line, not a traceback."""
    try:
        migrations.upgrade(settings.database_url)
    except Exception as exc:  # any driver or migration error
        first_line = (str(exc).splitlines() or [""])[0][:300]
        print(f"error: DATABASE_URL: cannot migrate the database ({type(exc).__name__}: {first_line})", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
