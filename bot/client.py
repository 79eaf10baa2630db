"""The discord.py client: an AutoShardedBot with one error path, extension discovery and hashed sync.

This is the only module under ``bot/`` that imports discord; cogs hold the rest of the Discord glue.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import logs
from bot.db import state
from bot.discord_seams import pace_requests, use_gateway
from bot.errors import UserError
from bot.pacing import DEFAULT_RATE, Pacer
from bot.scheduling import PlanScope, run_isolated, shard_owner
from bot.services import Services

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_sync_hash"
READY_WORK_GRACE_SECONDS = 10
COMMAND_SCOPE_KEY = "command_sync_scope"


def intents() -> discord.Intents:
    """The smallest set the features need.

    - guilds: channels, threads and roles of each guild (circle homes, focus rooms, role grants).
    - voice_states: who sits in a focus room, for sprints and co-working time.
    Not members (privileged): interactions carry the caller's roles and permissions, and role grants go
    through REST. Not message content: everything is slash commands, buttons and modals.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.voice_states = True
    return wanted


def needed_permissions() -> discord.Permissions:
    """Exactly what the features use; `python -m bot invite-url` asks for these."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_public_threads=True,
        create_private_threads=True,
        manage_threads=True,  # archive standup threads, add members to private pair threads
        embed_links=True,
        attach_files=True,  # charts and exports
        read_message_history=True,
        manage_roles=True,  # grant and remove a circle's member role
    )


def invite_url(client_id: int) -> str:
    return discord.utils.oauth_url(client_id, permissions=needed_permissions(), scopes=("bot", "applications.commands"))


def command_payload(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[Any]:
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def command_hash(payload: list[Any], scope: str) -> str:
    text = json.dumps({"scope": scope, "commands": payload}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def mentions_none() -> discord.AllowedMentions:
    return discord.AllowedMentions.none()


def interaction_fields(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """Who and where, for every log line while an interaction is handled: a slash command's name, or a
    button's or modal's custom id, so an error in a view is as findable as one in a command."""
    component = interaction.type is not discord.InteractionType.application_command
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id") if component else None
    return {
        "guild": interaction.guild_id,
        "user": interaction.user.id,
        "command": interaction.command.qualified_name if interaction.command else None,
        "custom_id": custom_id,
        "interaction": interaction.id,
    }


class CirclesTree(app_commands.CommandTree["CirclesBot"]):
    async def interaction_check(self, interaction: discord.Interaction[CirclesBot]) -> bool:
        # Set for the rest of this interaction's task: every log line carries who and where.
        logs.log_context.set({k: v for k, v in interaction_fields(interaction).items() if v is not None})
        if interaction.guild_id is None:
            await interaction.response.send_message(
                "Cowork Circles works inside a server, not in DMs.", ephemeral=True, allowed_mentions=mentions_none()
            )
            return False
        return True

    async def on_error(self, interaction: discord.Interaction[CirclesBot], error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


def _user_message(error: BaseException) -> str | None:
    """The text to show for an error the user can act on, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError):
        return error.message
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not a valid {error.type.name.lower().replace('_', ' ')} here."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "Cowork Circles works inside a server, not in DMs."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission for that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, discord.Forbidden):
        return "I'm missing a permission for that. A host can re-invite me with `python -m bot invite-url`."
    return None


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """The one error path for commands, buttons and modals: a clear ephemeral reply, bugs logged once."""
    message = _user_message(error)
    if message is None:
        ref = secrets.token_hex(4)
        original = getattr(error, "original", error)
        log.error(
            "unexpected error (ref %s) in %s",
            ref,
            getattr(interaction.command, "qualified_name", "component"),
            exc_info=(type(original), original, original.__traceback__),
        )
        message = f"Something went wrong on my side (ref `{ref}`). Nothing was changed; please try again."
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=mentions_none())
        else:
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=mentions_none())
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id)


class CirclesBot(commands.AutoShardedBot):
    def __init__(
        self,
        services: Services,
        *,
        shard_count: int | None = None,
        shard_ids: list[int] | None = None,
        dev_guild_id: int | None = None,
        sync_commands: bool = True,
        gateway_url: str | None = None,
    ) -> None:
        wanted = intents()
        # discord.py wants shard_ids left out (not None) when sharding is automatic.
        shard_options: dict[str, Any] = {"shard_count": shard_count}
        if shard_ids is not None:
            shard_options["shard_ids"] = shard_ids
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=wanted,
            # Cache members only while they are in voice: that is all the features look at.
            member_cache_flags=discord.MemberCacheFlags.from_intents(wanted),
            chunk_guilds_at_startup=False,
            # Nothing pings unless a message names exactly whom it pings.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=CirclesTree,
            **shard_options,
        )
        self.services = services
        # Discord's 50/s is per bot token: a process running some of the shards takes its share of it.
        share = len(shard_ids) / shard_count if shard_ids is not None and shard_count else 1.0
        self.pacer = Pacer(rate=DEFAULT_RATE * share)
        pace_requests(self.http, self.pacer)
        if gateway_url:
            use_gateway(self.http, gateway_url)
        self.dev_guild_id = dev_guild_id
        self.sync_on_start = sync_commands
        self._ready_hooks: list[Callable[[], Awaitable[None]]] = []
        self._ready_work: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        # Commands belong to the application, not to a shard: with several processes, the one running
        # shard 0 syncs them and the others leave it alone.
        if self.sync_on_start and (self.shard_ids is None or 0 in self.shard_ids):
            await self.sync_commands(force=False)
        # Registered (with its heartbeat) before any wake-up can claim: claims name their holder.
        await self.services.liveness.start()
        self.services.scheduler.start()

    def on_ready_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Cogs add work that needs the gateway (e.g. reconciling voice sessions) after READY."""
        self._ready_hooks.append(hook)

    async def on_ready(self) -> None:
        # READY can come again after a reconnect; planning is idempotent (stable wake-up ids).
        task = asyncio.current_task()
        assert task is not None  # discord.py runs every event handler in a task of its own
        self._ready_work.add(task)
        try:
            await self._catch_up()
        finally:
            self._ready_work.discard(task)

    async def close(self) -> None:
        # READY's hooks and planning write to the database: a stop right after READY lets them finish
        # (briefly) rather than cutting a transaction off when the event loop ends.
        if self._ready_work:
            await asyncio.wait(set(self._ready_work), timeout=READY_WORK_GRACE_SECONDS)
        await super().close()

    async def _catch_up(self) -> None:
        log.info("ready: %d guilds on shards %s of %s", len(self.guilds), self.shard_ids, self.shard_count)
        # Hooks first: they bring the database up to date with Discord (e.g. answer messages found again
        # after a crash), and only then may overdue wake-ups (a close's summary) fire from the plan.
        # Each hook on its own: one that fails (an unreadable thread) is logged and the others still run.
        for hook in self._ready_hooks:
            await run_isolated(f"ready hook {getattr(hook, '__qualname__', hook)}", hook)
        started = time.perf_counter()
        await self.services.planners.plan(PlanScope(owned_guilds=self.owns_guild))
        log.info(
            "planned %d wake-ups in %.0f ms",
            len(self.services.scheduler.job_ids()),
            (time.perf_counter() - started) * 1000,
        )

    def owns_guild(self, guild_id: int) -> bool:
        if self.shard_count is None:
            return True
        ids = self.shard_ids if self.shard_ids is not None else range(self.shard_count)
        return shard_owner(self.shard_count, ids)(guild_id)

    async def sync_commands(self, *, force: bool) -> bool:
        """Sync only when the command set changed since the last sync (hash kept in the database)."""
        guild = discord.Object(self.dev_guild_id) if self.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        scope = f"guild:{self.dev_guild_id}" if guild else "global"
        digest = command_hash(command_payload(self.tree, guild), scope)
        if not force and await state.get_value(self.services.db, COMMAND_HASH_KEY) == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await state.set_value(self.services.db, COMMAND_HASH_KEY, digest)
        log.info("synced %d commands (%s)", len(synced), scope)
        previous = await state.get_value(self.services.db, COMMAND_SCOPE_KEY)
        if previous and previous.startswith("guild:") and previous != scope:
            # DEV_GUILD_ID changed or was removed: take the old test guild's copies away, or every
            # command would show twice there (its guild copy next to the global one).
            old = discord.Object(int(previous.removeprefix("guild:")))
            self.tree.clear_commands(guild=old)
            await self.tree.sync(guild=old)
            log.info("removed the commands synced to the former DEV_GUILD_ID %s", old.id)
        await state.set_value(self.services.db, COMMAND_SCOPE_KEY, scope)
        return True


def extension_names() -> list[str]:
    """Every package under cogs/ is an extension; names starting with _ hold shared glue, not cogs."""
    return sorted(
        f"cogs.{module.name}" for module in pkgutil.iter_modules(cogs.__path__) if not module.name.startswith("_")
    )
