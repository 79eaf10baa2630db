"""Command line and the one composition root: settings → logging → database → services → scheduler → client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from bot import logs
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings, token_user_id
from bot.db import Database
from bot.db import migrate as migrations
from bot.db.engine import sqlite_file_missing
from bot.scheduling import APScheduler
from bot.services import Services

log = logging.getLogger("bot")


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
            runner.result()  # a login failure surfaces here
            return 0
        log.info("shutting down")
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
        return 0
    finally:
        scheduler.shutdown()
        # A clean stop: another process may take this one's unfinished claims over at once.
        try:
            await services.liveness.stop()
        except Exception as exc:  # the database went away first: the heartbeat simply runs out
            log.warning("could not record the clean stop (%s)", type(exc).__name__)
        if not bot.is_closed():
            # discord.py's sharded close() assumes a login happened; a signal that early has nothing to close.
            with contextlib.suppress(AttributeError):
                await bot.close()
        try:
            await services.voice.shutdown()  # open voice sessions end now (else at the alive mark)
        except Exception as exc:
            log.warning("could not end the open voice sessions (%s)", type(exc).__name__)
        await services.standups.answers.flush_message_ids()
        await db.dispose()


def _check(settings: Settings) -> list[str]:
    """Everything wrong with the configuration and database, one line each."""
    problems: list[str] = []
    try:
        settings.token()
    except ConfigError as exc:
        problems.append(str(exc))
    try:
        settings.check_sharding()
    except ConfigError as exc:
        problems.append(str(exc))

    async def database() -> None:
        if sqlite_file_missing(settings.database_url):
            print("database: the SQLite file does not exist yet; `python -m bot` creates and migrates it")
            return
        try:
            current = await migrations.current_revision(settings.database_url)
        except Exception as exc:  # any driver error: report it as one line
            problems.append(f"DATABASE_URL: cannot connect ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            return
        head = migrations.head_revision()
        if current != head:
            print(f"database: at revision {current or 'none'}, head is {head}: `python -m bot` migrates at start-up")

    asyncio.run(database())
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Cowork Circles Discord bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "check", "sync-commands", "invite-url"],
        help="run (default): migrate, then run the bot",
    )
    args = parser.parse_args(argv)
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
            print("configuration and database OK")
        return 1 if problems else 0
    if args.command == "migrate":
        if not _migrate(settings):
            return 1
        print(f"database at revision {migrations.head_revision()}")
        return 0
    try:
        token = settings.token()
        settings.check_sharding()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "invite-url":
        from bot.client import invite_url

        print(invite_url(_client_id_from_token(token)))
        return 0
    if not _migrate(settings):
        return 1
    return asyncio.run(_run_bot(settings, token, sync_only=args.command == "sync-commands"))


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
