"""`/privacy export` and `/privacy forget`, built on the member-data registry (bot/privacy/registry.py).

Whatever features register, the export holds all of it and forget deletes all of it, in one guild only:
the registry's entries each filter by (guild id, user id), so another guild's rows are never read.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.privacy.registry import MemberDataRegistry

# Discord's smallest attachment limit (servers without boosts) is 10 MiB since 2024, 8 MiB before; we
# stay under the older one, with room for the multipart envelope.
ATTACHMENT_LIMIT = 8 * 1024 * 1024 - 64 * 1024


@dataclass(frozen=True)
class PrivacyExport:
    filename: str
    data: bytes
    sections: tuple[str, ...]  # the registry entries it holds, e.g. ("circles", "profile", …)
    compressed: bool  # gzip: only when the JSON alone would pass the attachment limit


@dataclass(frozen=True)
class Forgotten:
    sections: tuple[str, ...]
    messages: tuple[tuple[int, int], ...]  # (channel id, message id) of messages that showed the data


class PrivacyService:
    def __init__(self, registry: MemberDataRegistry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock

    async def export(self, guild_id: int, user_id: int) -> PrivacyExport:
        now = self.clock.now()
        data = await self.registry.export(guild_id, user_id)
        document: dict[str, Any] = {
            "guild_id": str(guild_id),
            "user_id": str(user_id),
            "exported_at": now.isoformat(),
            "data": data,
        }
        raw = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()
        stem = f"cowork-circles-data-{guild_id}-{now:%Y%m%d}"
        if len(raw) <= ATTACHMENT_LIMIT:
            return PrivacyExport(f"{stem}.json", raw, tuple(data), compressed=False)
        return PrivacyExport(f"{stem}.json.gz", gzip.compress(raw), tuple(data), compressed=True)

    async def forget(self, guild_id: int, user_id: int) -> Forgotten:
        sections = tuple(entry.name for entry in self.registry.entries)
        messages = await self.registry.forget(guild_id, user_id)
        return Forgotten(sections, tuple(dict.fromkeys(messages)))
