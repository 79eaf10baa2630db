"""Read-only views for tests: messages, threads, channels, members, commands, pings, requests."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any

from . import payloads
from .core import Core
from .mentions import Pings
from .routing import RecordedRequest
from .state import StoredMessage

JSON = dict[str, Any]


class Queries(Core):
    def messages(self, channel_id: int, *, include_ephemeral: bool = False) -> list[JSON]:
        """The channel's messages, oldest first, as ``GET /channels/{id}/messages`` would show them.

        Ephemeral interaction messages are not in a channel's history; ``include_ephemeral`` adds them.
        """
        result = [m for m in self.world.messages.values() if m.channel_id == channel_id and not m.deleted]
        if not include_ephemeral:
            result = [m for m in result if not m.ephemeral]
        return [copy.deepcopy(m.payload) for m in sorted(result, key=lambda m: m.id)]

    def message(self, message_id: int) -> JSON | None:
        stored = self.world.messages.get(int(message_id))
        return None if stored is None or stored.deleted else copy.deepcopy(stored.payload)

    def stored_message(self, message: JSON | int | str) -> StoredMessage:
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        try:
            return self.world.messages[message_id]
        except KeyError:
            raise KeyError(f"no message {message_id} was ever sent") from None

    def pinged(self, message: JSON | int | str) -> Pings:
        """Who the message notified when it was delivered (users, roles, @everyone/@here)."""
        return self.store.pings_of(self.stored_message(message))

    def pinged_user_ids(self, message: JSON | int | str) -> frozenset[int]:
        """Every user the message reached: direct pings, members of pinged roles, or the whole guild."""
        stored = self.stored_message(message)
        pings = self.store.pings_of(stored)
        if stored.guild_id is None:
            return pings.users
        guild = self.world.guild(stored.guild_id)
        if pings.everyone:
            return frozenset(u for u in guild.members if u != stored.author_id)
        reached = set(pings.users)
        for member in guild.members.values():
            if pings.roles & set(member.roles):
                reached.add(member.user_id)
        return frozenset(reached)

    def allowed_mentions(self, message: JSON | int | str) -> JSON | None:
        """The ``allowed_mentions`` the bot sent with the message (latest edit wins), or None if absent."""
        return copy.deepcopy(self.stored_message(message).allowed_mentions)

    def attachment_data(self, attachment_id: int | str) -> bytes:
        return self.world.attachments[int(attachment_id)]

    def threads(self, parent_id: int) -> list[JSON]:
        return [
            payloads.thread(c)
            for c in sorted(self.world.channels.values(), key=lambda c: c.id)
            if c.is_thread and c.parent_id == parent_id
        ]

    def thread_member_ids(self, thread_id: int) -> set[int]:
        return set(self.world.channel(thread_id).thread_members)

    def channel(self, channel_id: int) -> JSON:
        return payloads.channel(self.world, self.world.channel(channel_id))

    def member(self, guild_id: int, user_id: int) -> JSON:
        return payloads.member(self.world, self.world.member(guild_id, user_id))

    def member_role_ids(self, guild_id: int, user_id: int) -> list[int]:
        return list(self.world.member(guild_id, user_id).roles)

    def voice_channel_of(self, guild_id: int, user_id: int) -> int | None:
        state = self.world.guild(guild_id).voice_states.get(user_id)
        return None if state is None else state.channel_id

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """Synced command definitions (as Discord returns them): global ones, or one guild's."""
        records = self.world.global_commands if guild_id is None else self.world.guild_commands.get(guild_id, {})
        return [copy.deepcopy(r.definition) for r in records.values()]

    def find_requests(
        self,
        method: str | None = None,
        path_regex: str = ".*",
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.search(r.path) and (predicate is None or predicate(r))
        ]

    async def wait_for_request(
        self,
        method: str | None,
        path_regex: str,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        after: float | RecordedRequest | None = None,
    ) -> RecordedRequest:
        """The first completed request matching method and ``re.search(path_regex, path)``.

        ``path`` has no ``/api/v10`` prefix (``/channels/123/messages``). ``after`` (a monotonic time,
        or a request) skips requests that arrived earlier.
        """
        since = after.t if isinstance(after, RecordedRequest) else after
        pattern = re.compile(path_regex)

        def found() -> RecordedRequest | None:
            for r in self.requests:
                if (
                    r.done
                    and (method is None or r.method == method)
                    and (since is None or r.t > since)
                    and pattern.search(r.path)
                    and (predicate is None or predicate(r))
                ):
                    return r
            return None

        result: RecordedRequest = await self.wait_until(found, timeout, f"{method} {path_regex}")
        return result

    async def wait_ready(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        shard_count: int | None = None,
        *,
        shard_ids: Iterable[int] | None = None,
        after: float | None = None,
    ) -> None:
        """Wait until every shard has a connected session that got READY and every GUILD_CREATE.

        The shards are ``shard_ids`` (a process running a range), else 0..``shard_count``-1, where
        ``shard_count`` defaults to the count the sessions identified with. ``after`` (a monotonic time)
        ignores sessions identified earlier: use it after restarting the bot.
        """
        wanted = None if shard_ids is None else set(shard_ids)

        def ready() -> bool:
            shards = self.gateway.ready_shards(after)
            if not shards:
                return False
            if wanted is not None:
                return wanted <= set(shards)
            count = shard_count or max(shards.values())
            return all(s in shards for s in range(count))

        await self.wait_until(ready, timeout, "all shards ready")

    @property
    def connected_shards(self) -> set[int]:
        return self.gateway.connected_shards
