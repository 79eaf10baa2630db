"""Members' side of standups: the answer form, answers, their thread messages, history, streaks, privacy.

The process that opens a standup remembers it (``remember_open``), so answering it needs no read; the
answer itself is one upsert. Thread message ids of answers are written in batches (see
``record_answer_message``) and found again after a crash (``unrecorded_answer_messages``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.circles.models import Circle, CircleMember
from bot.circles.service import CircleService
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import OccurrenceStatus as Status
from bot.db.engine import upsert
from bot.errors import Conflict, InvalidInput, NotFound
from bot.profiles.service import ProfileService
from bot.standups import questions as q
from bot.standups.common import (
    OpenStandup,
    load_circle,
    schedule_view,
)
from bot.standups.models import StandupAnswer, StandupOccurrence, StandupSchedule
from bot.standups.results import AnswerForm, AnswerPosted, HistoryEntry
from bot.standups.schedule import next_opening
from bot.standups.streaks import Outcome, streak

HISTORY_MAX_DAYS = 90
MESSAGE_ID_BATCH_SECONDS = 0.25
NOT_A_MEMBER = "Standups are for circle members: join first with `/circle join`."
# Hot writes are built once (Database.write).
RECORD_MESSAGE = (
    update(StandupAnswer).where(StandupAnswer.id == bindparam("answer")).values(message_id=bindparam("message"))
)


class StandupAnswers:
    def __init__(self, db: Database, clock: Clock, circles: CircleService, profiles: ProfileService) -> None:
        self.db = db
        self.clock = clock
        self.circles = circles
        self.profiles = profiles
        self._open: dict[int, OpenStandup] = {}  # the standups this process opened, by occurrence id
        self._message_ids: dict[int, int] = {}  # answer id → thread message id, not yet written
        self._message_flush: asyncio.Task[None] | None = None
        # Built once; parameters go to execute(), so each answer reuses one compiled statement.
        self._answer_upsert = upsert(
            db, StandupAnswer, ["occurrence_id", "user_id"], ["answers", "blocker", "updated_at"]
        ).returning(StandupAnswer.id, StandupAnswer.message_id)
        # Set by the composition root: focus minutes and sprints of a member since an instant (bot.focus).
        self.focus_since: Callable[[int, int, datetime], Awaitable[tuple[int, int]]] | None = None

    def remember_open(self, standup: OpenStandup) -> None:
        self._open[standup.occurrence_id] = standup

    def forget_open(self, occurrence_id: int) -> None:
        self._open.pop(occurrence_id, None)

    async def answer_form(
        self, guild_id: int, user_id: int, *, circle_id: int | None = None, occurrence_id: int | None = None
    ) -> AnswerForm:
        """The modal for today's open standup (of a circle, or of the thread whose button was pressed)."""
        now = self.clock.now()
        async with self.db.reader() as session:
            occurrence = await self._answerable(session, guild_id, circle_id, occurrence_id, now)
            await self._require_member(session, occurrence.circle_id, user_id)
            mine = await session.scalar(
                select(StandupAnswer).where(
                    StandupAnswer.occurrence_id == occurrence.id, StandupAnswer.user_id == user_id
                )
            )
            last = (
                await session.execute(
                    select(StandupAnswer.answers, StandupAnswer.created_at)
                    .join(StandupOccurrence, StandupOccurrence.id == StandupAnswer.occurrence_id)
                    .where(
                        StandupAnswer.circle_id == occurrence.circle_id,
                        StandupAnswer.user_id == user_id,
                        StandupOccurrence.local_date < occurrence.local_date,
                    )
                    .order_by(StandupOccurrence.local_date.desc())
                    .limit(1)
                )
            ).first()
        previous = last[0] if last is not None else None
        questions = tuple(occurrence.questions)
        plan = None
        if previous is not None:
            # "Yesterday" is the member's previous standup; the plan is read with the questions asked today.
            index = q.plan_index(questions)
            if index is not None and index < len(previous) and previous[index].strip().lower() not in ("", "-"):
                plan = previous[index].strip()
        return AnswerForm(
            occurrence_id=occurrence.id,
            local_date=occurrence.local_date,
            questions=questions,
            current=tuple(mine.answers) if mine else None,
            yesterday_plan=plan,
            closes_at=occurrence.closes_at,
            focused=await self._focused(guild_id, user_id, last[1] if last is not None else now - timedelta(days=1)),
        )

    async def _focused(self, guild_id: int, user_id: int, since: datetime) -> tuple[int, int] | None:
        """Focus minutes and sprints since the member's previous answer, when there were any."""
        if self.focus_since is None:
            return None
        minutes, sprints = await self.focus_since(guild_id, user_id, since)
        return (minutes, sprints) if sprints else None

    async def submit_answer(
        self, guild_id: int, user_id: int, occurrence_id: int, answers: Iterable[str]
    ) -> AnswerPosted:
        """Commit one member's answer: one upsert, checked against the open standup and the membership.

        This is the hottest write in the bot, so what it checks comes from memory where the process
        already knows it (the open standups it opened, the circle snapshot) and the write is a single
        INSERT … ON CONFLICT DO UPDATE.
        """
        now = self.clock.now()
        texts = tuple(a.strip() for a in answers)
        if any(len(a) > q.ANSWER_MAX for a in texts):
            raise InvalidInput(f"Each answer can be at most {q.ANSWER_MAX} characters.")
        if not any(texts):
            raise InvalidInput("Your standup is empty: answer at least one question.")
        standup = await self._open_standup(guild_id, occurrence_id, now)
        if not await self.circles.is_member(guild_id, standup.circle_id, user_id):
            raise NotFound(NOT_A_MEMBER)
        if len(texts) != len(standup.questions):
            raise InvalidInput("That form is out of date; press the button again to get today's questions.")
        blocker = q.is_blocker(standup.questions, texts)
        (row,) = await self.db.write(
            self._answer_upsert,
            {
                "occurrence_id": occurrence_id,
                "circle_id": standup.circle_id,
                "guild_id": guild_id,
                "user_id": user_id,
                "answers": list(texts),
                "blocker": blocker,
                "created_at": now,
                "updated_at": now,
            },
        )
        answer_id, previous_message = int(row[0]), row[1]
        return AnswerPosted(
            answer_id=answer_id,
            occurrence_id=occurrence_id,
            guild_id=guild_id,
            thread_id=standup.thread_id,
            user_id=user_id,
            questions=standup.questions,
            answers=texts,
            blocker=blocker,
            # A message id still waiting for its batch is newer than the stored one (a re-post).
            previous_message_id=self._message_ids.get(answer_id) or previous_message,
        )

    async def _open_standup(self, guild_id: int, occurrence_id: int, now: datetime) -> OpenStandup:
        """The open standup an answer is for: from memory when this process opened it, else the database."""
        standup = self._open.get(occurrence_id)
        if standup is None or standup.guild_id != guild_id or now >= standup.closes_at:
            async with self.db.reader() as session:
                occurrence = await self._answerable(session, guild_id, None, occurrence_id, now)
            standup = OpenStandup.of(occurrence)
        return standup

    async def record_answer_message(self, answer_id: int, message_id: int) -> None:
        """Remember which thread message shows an answer (to edit it in place, and to link blockers).

        Written in batches a quarter second later, one transaction for many answers: this is Discord
        bookkeeping, not the member's data (the answer itself committed before anything was posted).
        A kill inside that quarter second means a later edit posts a new message instead.
        """
        self._message_ids[answer_id] = message_id
        if self._message_flush is None or self._message_flush.done():
            self._message_flush = asyncio.create_task(self._flush_message_ids_soon())

    async def _flush_message_ids_soon(self) -> None:
        await asyncio.sleep(MESSAGE_ID_BATCH_SECONDS)
        await self.flush_message_ids()

    async def unrecorded_answer_messages(self, owned_guilds: Callable[[int], bool]) -> dict[int, dict[int, int]]:
        """Open standups' answers whose thread message id was lost (a kill inside the batch window):
        thread id → {user id: answer id}, for the cog to find the messages again after a restart."""
        async with self.db.reader() as session:
            rows = await session.execute(
                select(StandupOccurrence.guild_id, StandupOccurrence.thread_id, StandupAnswer.user_id, StandupAnswer.id)
                .join(StandupOccurrence, StandupOccurrence.id == StandupAnswer.occurrence_id)
                .where(StandupOccurrence.status == Status.OPEN, StandupAnswer.message_id.is_(None))
            )
            found: dict[int, dict[int, int]] = {}
            for guild_id, thread_id, user_id, answer_id in rows:
                if thread_id is not None and answer_id not in self._message_ids and owned_guilds(guild_id):
                    found.setdefault(thread_id, {})[user_id] = answer_id
            return found

    async def flush_message_ids(self) -> None:
        """Write the batched answer message ids now (before reading them, and at shutdown)."""
        pending, self._message_ids = self._message_ids, {}
        if not pending:
            return
        try:
            await self.db.write(
                RECORD_MESSAGE, [{"answer": answer, "message": message} for answer, message in pending.items()]
            )
        except Exception:
            self._message_ids = {**pending, **self._message_ids}  # keep them for the next try
            raise

    async def set_reminders(self, guild_id: int, user_id: int, enabled: bool) -> None:
        await self.profiles.set_standup_reminders(guild_id, user_id, enabled)

    async def history(self, guild_id: int, viewer_id: int, member_id: int, days: int) -> list[HistoryEntry]:
        if not 1 <= days <= HISTORY_MAX_DAYS:
            raise InvalidInput(f"`days` must be from 1 to {HISTORY_MAX_DAYS}.")
        since = (self.clock.now() - timedelta(days=days)).date()
        async with self.db.reader() as session:
            query = (
                select(StandupAnswer, StandupOccurrence, Circle)
                .join(StandupOccurrence, StandupOccurrence.id == StandupAnswer.occurrence_id)
                .join(Circle, Circle.id == StandupAnswer.circle_id)
                .where(
                    StandupAnswer.guild_id == guild_id,
                    StandupAnswer.user_id == member_id,
                    StandupOccurrence.local_date >= since,
                )
                .order_by(StandupOccurrence.local_date.desc(), Circle.name_key)
            )
            if viewer_id != member_id:
                # Another member's answers only from circles the viewer shares with them.
                shared = select(CircleMember.circle_id).where(
                    CircleMember.guild_id == guild_id, CircleMember.user_id == viewer_id
                )
                query = query.where(StandupAnswer.circle_id.in_(shared))
            rows = (await session.execute(query)).all()
        return [
            HistoryEntry(circle.name, occ.local_date, tuple(occ.questions), tuple(ans.answers), ans.blocker)
            for ans, occ, circle in rows
        ]

    async def streak_for(self, guild_id: int, user_id: int, circle_id: int) -> int:
        async with self.db.reader() as session:
            return await member_streak(session, guild_id, user_id, circle_id, self.clock.now())

    async def best_streak(self, guild_id: int, user_id: int) -> int:
        """The member's current streak in their best circle (for `/stats me`)."""
        best = 0
        for circle in await self.circles.circles_of(guild_id, user_id):
            best = max(best, await self.streak_for(guild_id, user_id, circle.id))
        return best

    # ----- privacy ----------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(StandupAnswer, StandupOccurrence, Circle)
                    .join(StandupOccurrence, StandupOccurrence.id == StandupAnswer.occurrence_id)
                    .join(Circle, Circle.id == StandupAnswer.circle_id)
                    .where(StandupAnswer.guild_id == guild_id, StandupAnswer.user_id == user_id)
                    .order_by(StandupOccurrence.local_date)
                )
            ).all()
        return {
            "standup_answers": [
                {
                    "circle": circle.name,
                    "date": occ.local_date.isoformat(),
                    "answers": dict(zip(occ.questions, ans.answers, strict=False)),
                    "blocker": ans.blocker,
                }
                for ans, occ, circle in rows
            ]
        }

    async def forget_member(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        """Deletes the member's answers; returns (thread_id, message_id) pairs the cog may delete in Discord."""
        await self.flush_message_ids()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(StandupOccurrence.thread_id, StandupAnswer.message_id)
                    .join(StandupOccurrence, StandupOccurrence.id == StandupAnswer.occurrence_id)
                    .where(StandupAnswer.guild_id == guild_id, StandupAnswer.user_id == user_id)
                )
            ).all()
            await session.execute(
                delete(StandupAnswer).where(StandupAnswer.guild_id == guild_id, StandupAnswer.user_id == user_id)
            )
            # Days the member was excused (away) keep no trace of them either. A JSON list cannot be
            # filtered portably in SQL; this runs once per forget, over this guild's standups only.
            for occurrence in await session.scalars(
                select(StandupOccurrence).where(StandupOccurrence.guild_id == guild_id)
            ):
                if user_id in (occurrence.excused or []):
                    occurrence.excused = [uid for uid in occurrence.excused if uid != user_id]
        return [(t, m) for t, m in rows if t is not None and m is not None]

    # ----- helpers --------------------------------------------------------------------------------------

    async def _answerable(
        self, session: AsyncSession, guild_id: int, circle_id: int | None, occurrence_id: int | None, now: datetime
    ) -> StandupOccurrence:
        if occurrence_id is not None:
            occurrence = await session.get(StandupOccurrence, occurrence_id)
            if occurrence is None or occurrence.guild_id != guild_id:
                raise NotFound("That standup no longer exists.")
        else:
            assert circle_id is not None
            await load_circle(session, guild_id, circle_id)
            occurrence = await session.scalar(
                select(StandupOccurrence)
                .where(StandupOccurrence.circle_id == circle_id, StandupOccurrence.status != Status.MISSED)
                .order_by(StandupOccurrence.opens_at.desc())
                .limit(1)
            )
            if occurrence is None:
                raise NotFound(await self._not_open_message(session, circle_id, now, "No standup is open"))
        # A claimed standup whose thread exists is opening right now (its message may already be out,
        # the status not yet "open"): answering it is fine, the answer lands in that thread.
        opening = occurrence.status == Status.CLAIMED and occurrence.thread_id is not None
        if (occurrence.status == Status.OPEN or opening) and now < occurrence.closes_at:
            return occurrence
        if occurrence.status == Status.CLAIMED:
            raise Conflict("Today's standup is just opening: try again in a moment.")
        raise Conflict(
            await self._not_open_message(
                session, occurrence.circle_id, now, f"The standup of {occurrence.local_date:%a %d %b} has closed"
            )
        )

    async def _not_open_message(self, session: AsyncSession, circle_id: int, now: datetime, lead: str) -> str:
        circle = await session.get(Circle, circle_id)
        row = await session.get(StandupSchedule, circle_id)
        if circle is None or row is None:
            return f"{lead}, and this circle has no standup schedule."
        view = schedule_view(row, circle)
        if view.paused:
            return f"{lead}; standups in **{circle.name}** are paused for now."
        slot = next_opening(view.spec, now)
        when = f"<t:{int(slot.opens_at.timestamp())}:f> (<t:{int(slot.opens_at.timestamp())}:R>)" if slot else "later"
        return f"{lead}. The next one opens {when}."

    async def _require_member(self, session: AsyncSession, circle_id: int, user_id: int) -> None:
        if await session.get(CircleMember, (circle_id, user_id)) is None:
            raise NotFound(NOT_A_MEMBER)


async def member_streak(session: AsyncSession, guild_id: int, user_id: int, circle_id: int, now: datetime) -> int:
    joined = await session.scalar(
        select(CircleMember.joined_at).where(CircleMember.circle_id == circle_id, CircleMember.user_id == user_id)
    )
    occurrences = (
        await session.execute(
            select(
                StandupOccurrence.id,
                StandupOccurrence.status,
                StandupOccurrence.excused,
                StandupOccurrence.closes_at,
                StandupOccurrence.opens_at,
            )
            .where(StandupOccurrence.circle_id == circle_id)
            .order_by(StandupOccurrence.local_date.desc())
            .limit(400)
        )
    ).all()
    answered = set(
        await session.scalars(
            select(StandupAnswer.occurrence_id).where(
                StandupAnswer.circle_id == circle_id, StandupAnswer.user_id == user_id
            )
        )
    )
    outcomes: list[Outcome] = []
    for occ_id, status, excused, closes_at, opens_at in occurrences:
        if occ_id in answered:
            outcomes.append(Outcome.ANSWERED)
        elif status in (Status.MISSED, Status.CLAIMED) or user_id in (excused or []):
            outcomes.append(Outcome.NEUTRAL)
        elif status == Status.OPEN and now < closes_at:
            outcomes.append(Outcome.PENDING)
        elif joined is not None and opens_at < joined:
            outcomes.append(Outcome.NEUTRAL)
        else:
            outcomes.append(Outcome.MISSED)
    return streak(outcomes)
