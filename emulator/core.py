"""State shared by every part of the emulator, change notification, and intent-dependent payloads."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import intents as gi
from . import payloads
from .faults import RateLimits
from .routing import RecordedRequest
from .snowflakes import SnowflakeFactory
from .state import WorldState

if TYPE_CHECKING:
    from .gateway import Gateway, GatewaySession
    from .interactions import Interactions
    from .messages import MessageStore

JSON = dict[str, Any]


def make_token(user_id: int) -> str:
    """A token shaped like Discord's: base64url(user id) "." timestamp-ish "." HMAC-ish."""
    first = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{first}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(28)}"


def token_user_id(token: str) -> int | None:
    """The user id a Discord-shaped token starts with, or None."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None


CHUNK_SIZE = 1000


class Core:
    """The emulator's state; the public ``Emulator`` adds world building, queries and the server."""

    gateway: Gateway
    interactions: Interactions
    store: MessageStore

    def __init__(
        self,
        *,
        token: str | None,
        bot_username: str,
        heartbeat_interval_ms: int,
        recommended_shards: int,
    ) -> None:
        self.ids = SnowflakeFactory()
        self.world = WorldState(self.ids)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        # Discord's HEARTBEAT_ACK comes a network round trip after the heartbeat. discord.py counts on that:
        # it notes the send time only once the send completed, so an instant ACK reads as a whole interval late.
        self.heartbeat_ack_delay = 0.05
        self.recommended_shards = recommended_shards
        self.stats: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        # Handler crashes are emulator bugs, never the bot's: tests can assert this stays empty.
        self.errors: list[str] = []
        self.limits = RateLimits()
        self.privileged_intents = gi.PRIVILEGED
        self.application_flags = 1 << 23  # GATEWAY_MESSAGE_CONTENT_LIMITED, as a typical unverified bot
        self.session_starts_remaining = 1000
        self.time_offset = 0.0
        self.host = "127.0.0.1"
        self.port = 0
        self._changed = asyncio.Event()
        # The bot's id comes from the token when it is Discord-shaped (a bot may read its id from it).
        bot = (token_user_id(token) if token else None) or self.world.ids.next()
        self.token = token if token else make_token(bot)
        self.bot_user_id = bot
        # A bot's application id equals its user id for every bot created since 2019 or so.
        self.application_id = bot
        from .state import User

        self.world.users[bot] = User(id=bot, username=bot_username, bot=True)
        self.owner_user_id = self.world.ids.next()
        self.world.users[self.owner_user_id] = User(id=self.owner_user_id, username="app-owner")

    # addresses --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What to put in ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``GET /gateway/bot`` and READY's ``resume_gateway_url`` carry."""
        return f"ws://{self.host}:{self.port}/gateway"

    # time -------------------------------------------------------------------------------------------

    def clock(self) -> float:
        """Monotonic seconds for interaction deadlines; ``advance_time`` moves it forward."""
        return time.monotonic() + self.time_offset

    def advance_time(self, seconds: float) -> None:
        """Pretend ``seconds`` passed for interaction deadlines (3 s, 15 min) without sleeping."""
        self.time_offset += seconds

    # change notification ----------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting in ``wait_until``. Safe from sync code on the loop's thread."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """Wait until ``predicate()`` is truthy (re-checked on every change) and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            event = self._changed
            # Also re-check periodically: some changes (gateway sends) do not notify.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.05))

    # payloads that depend on the session ------------------------------------------------------------

    def client_user_payload(self) -> JSON:
        return payloads.client_user(self.world.user(self.bot_user_id))

    def guild_create_payload(self, guild_id: int, session: GatewaySession) -> JSON:
        world = self.world
        guild = world.guild(guild_id)
        data = payloads.guild_base(guild)
        voice = session.has(gi.GUILD_VOICE_STATES)
        large = len(guild.members) >= session.large_threshold
        if session.has(gi.GUILD_PRESENCES) and not large:
            member_ids = list(guild.members)
        else:
            # Without presences Discord sends the bot itself and whoever sits in voice.
            member_ids = [self.bot_user_id] + (list(guild.voice_states) if voice else [])
        seen: set[int] = set()
        members = []
        for user_id in member_ids:
            if user_id in seen or user_id not in guild.members:
                continue
            seen.add(user_id)
            members.append(payloads.member(world, guild.members[user_id]))
        threads = [
            payloads.thread(t, viewer_id=self.bot_user_id)
            for t in world.threads_of(guild_id)
            if not t.archived and world.channel_permissions(t, self.bot_user_id)
        ]
        data.update(
            {
                "joined_at": guild.joined_at,
                "large": large,
                "unavailable": False,
                "member_count": len(guild.members),
                "members": members,
                "channels": [payloads.channel(world, c) for c in world.guild_channels(guild_id)],
                "threads": threads,
                "voice_states": [
                    payloads.voice_state(world, vs, in_guild_create=True) for vs in guild.voice_states.values()
                ]
                if voice
                else [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "embedded_activities": [],
                "lazy": True,
                "application_command_counts": {},
            }
        )
        return data

    def member_chunks(self, guild_id: int, session: GatewaySession, request: JSON) -> Iterator[JSON]:
        """GUILD_MEMBERS_CHUNK answers to an op 8 request (by ``user_ids`` or by ``query``/``limit``)."""
        world = self.world
        guild = world.guild(guild_id)
        not_found: list[str] = []
        user_ids = request.get("user_ids")
        if user_ids is not None:
            wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            found = [guild.members[u] for u in wanted if u in guild.members]
            not_found = [str(u) for u in wanted if u not in guild.members]
        elif not session.has(gi.GUILD_MEMBERS):
            # Listing members needs the GUILD_MEMBERS intent; Discord answers with nothing.
            found = []
        else:
            query = str(request.get("query") or "").lower()
            limit = int(request.get("limit") or 0)
            found = [
                m
                for m in guild.members.values()
                if world.user(m.user_id).username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
            ]
            if limit:
                found = found[:limit]
        chunks = [found[i : i + CHUNK_SIZE] for i in range(0, len(found), CHUNK_SIZE)] or [[]]
        for index, chunk in enumerate(chunks):
            data: JSON = {
                "guild_id": str(guild_id),
                "members": [payloads.member(world, m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if not_found and index == 0:
                data["not_found"] = not_found
            if request.get("nonce"):
                data["nonce"] = request["nonce"]
            if request.get("presences"):
                data["presences"] = []
            yield data
