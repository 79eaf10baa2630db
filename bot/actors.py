"""Who is asking: the plain facts about the caller that permission rules need (no discord objects)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    guild_id: int
    user_id: int
    role_ids: frozenset[int] = frozenset()
    # Manage Server (or Administrator) in this guild: a host of every circle.
    manages_guild: bool = False
