"""The 12-week heat map as data: one cell per local day, weeks as columns, Monday on top. Pure; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.stats.days import monday_of

WEEKS = 12


@dataclass(frozen=True)
class HeatMap:
    first_monday: date  # the Monday of the leftmost column
    today: date
    # cells[row][column]: minutes on weekday ``row`` (0 = Monday) of week ``column``; None after today.
    cells: tuple[tuple[int | None, ...], ...]

    @property
    def weeks(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def day_of(self, row: int, column: int) -> date:
        return self.first_monday + timedelta(weeks=column, days=row)

    @property
    def week_labels(self) -> tuple[str, ...]:
        """Each column's Monday, e.g. ``7 Sep``."""
        return tuple(f"{d.day} {d:%b}" for d in (self.first_monday + timedelta(weeks=c) for c in range(self.weeks)))

    @property
    def total_minutes(self) -> int:
        return sum(v for row in self.cells for v in row if v is not None)

    @property
    def active_days(self) -> int:
        return sum(1 for row in self.cells for v in row if v)

    @property
    def max_minutes(self) -> int:
        return max((v for row in self.cells for v in row if v is not None), default=0)


def heatmap_cells(minutes_by_day: Mapping[date, int], today: date, weeks: int = WEEKS) -> HeatMap:
    """The grid ending with the week of ``today``; days after today are None (drawn blank, not as zero)."""
    first = monday_of(today) - timedelta(weeks=weeks - 1)
    rows = []
    for weekday in range(7):
        row: list[int | None] = []
        for column in range(weeks):
            day = first + timedelta(weeks=column, days=weekday)
            row.append(None if day > today else int(minutes_by_day.get(day, 0)))
        rows.append(tuple(row))
    return HeatMap(first, today, tuple(rows))
