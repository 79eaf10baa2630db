"""The member-data registry: every service that stores per-member data registers its export and forget.

`/privacy export` and `/privacy forget` call every registered entry, so a feature added later cannot be
left out of either; tests/meta/test_member_data.py fails when a table that holds user ids (a column named
``user_id`` or ``…_user_id``, or one marked ``info={MEMBER_IDS: True}`` such as a JSON list of ids) is not
named by some entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Column info key marking a column that holds user ids without being named like one (a JSON list).
MEMBER_IDS = "member_ids"

# (guild id, user id) → JSON-ready data of that member in that guild.
Export = Callable[[int, int], Awaitable[dict[str, Any]]]
# (guild id, user id) → deletes all of it in that guild; the (channel id, message id) pairs of messages
# that showed it, which the caller may delete on Discord too.
Forget = Callable[[int, int], Awaitable[Sequence[tuple[int, int]]]]


@dataclass(frozen=True)
class MemberData:
    name: str  # the key of this entry's part of an export, e.g. "standups"
    tables: tuple[str, ...]  # every table whose member rows or ids this entry exports and forgets
    export: Export
    forget: Forget


class MemberDataRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, MemberData] = {}

    def register(self, name: str, *, tables: Sequence[str], export: Export, forget: Forget) -> None:
        if name in self._entries:
            raise ValueError(f"member data {name!r} registered twice")
        self._entries[name] = MemberData(name, tuple(tables), export, forget)

    @property
    def entries(self) -> tuple[MemberData, ...]:
        return tuple(self._entries.values())

    def covered_tables(self) -> set[str]:
        return {table for entry in self._entries.values() for table in entry.tables}

    async def export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {entry.name: await entry.export(guild_id, user_id) for entry in self._entries.values()}

    async def forget(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        messages: list[tuple[int, int]] = []
        for entry in self._entries.values():
            messages.extend(await entry.forget(guild_id, user_id))
        return messages
