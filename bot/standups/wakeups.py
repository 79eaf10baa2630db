"""The standup's wake-ups: typed values that know their stable job ids (planning again replaces them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.scheduling import WakeUp


def opening_job_id(circle_id: int) -> str:
    return f"standup-open:{circle_id}"


@dataclass(frozen=True)
class StandupOpening(WakeUp):
    """Open the standup of (circle, local day); one per circle, so the next opening replaces it."""

    circle_id: int
    local_date: date

    @property
    def job_id(self) -> str:
        return opening_job_id(self.circle_id)


@dataclass(frozen=True)
class StandupRecovery(StandupOpening):
    """Take over an opening whose claimer died, once the claim may be taken over."""

    occurrence_id: int

    @property
    def job_id(self) -> str:
        return f"standup-recover:{self.occurrence_id}"


@dataclass(frozen=True)
class StandupReminder(WakeUp):
    occurrence_id: int

    @property
    def job_id(self) -> str:
        return f"standup-remind:{self.occurrence_id}"


@dataclass(frozen=True)
class StandupClose(WakeUp):
    occurrence_id: int

    @property
    def job_id(self) -> str:
        return f"standup-close:{self.occurrence_id}"
