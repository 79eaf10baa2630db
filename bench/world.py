"""Set-up shared by the benchmarks: circles written straight into the database (not measured)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def circle_rows(
    homes: list[tuple[int, int]], created_at: datetime, voices: list[int] | None = None
) -> list[dict[str, Any]]:
    """Rows for ``insert(Circle)``: circle ``i`` (id ``i + 1`` in a fresh database) is ``Circle {i}`` in
    guild ``homes[i][0]`` with home channel ``homes[i][1]`` and, when given, focus room ``voices[i]``."""
    return [
        {
            "guild_id": guild,
            "name": f"Circle {i}",
            "name_key": f"circle {i}",
            "channel_id": channel,
            "voice_channel_id": voices[i] if voices is not None else None,
            "timezone": "UTC",
            "created_at": created_at,
        }
        for i, (guild, channel) in enumerate(homes)
    ]
