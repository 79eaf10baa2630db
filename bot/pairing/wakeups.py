"""Pairing wake-ups: typed values with stable job ids (planning again replaces them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.scheduling import WakeUp


def round_job_id(circle_id: int) -> str:
    return f"pair-round:{circle_id}"


@dataclass(frozen=True)
class PairRoundDue(WakeUp):
    """Run the scheduled round of (circle, slot); one per circle, so the next one replaces it."""

    circle_id: int
    slot: str

    @property
    def job_id(self) -> str:
        return round_job_id(self.circle_id)


@dataclass(frozen=True)
class PairRoundRecovery(WakeUp):
    """Finish a round whose claimer died while making its threads."""

    round_id: int

    @property
    def job_id(self) -> str:
        return f"pair-recover:{self.round_id}"


@dataclass(frozen=True)
class PairCheckin(WakeUp):
    round_id: int

    @property
    def job_id(self) -> str:
        return f"pair-checkin:{self.round_id}"


@dataclass(frozen=True)
class PairClose(WakeUp):
    round_id: int

    @property
    def job_id(self) -> str:
        return f"pair-close:{self.round_id}"
