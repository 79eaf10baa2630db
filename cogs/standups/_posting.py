"""Talking to Discord for standups: opening threads, posting answers, the reminder and the close.

Every function here runs *after* the service committed its decision, so a failure to talk to Discord
never loses data, and a retry never doubles a post (the service's claims see to that).
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import date
from typing import TYPE_CHECKING

import discord

from bot.checkpoints import Step, checkpoint
from bot.discord_seams import archive_thread, start_public_thread
from bot.scheduling import PlanScope, run_isolated
from bot.standups.results import AnswerPosted, OpeningClaim
from bot.standups.schedule import thread_name
from bot.standups.wakeups import StandupClose, StandupOpening, StandupReminder
from bot.timefmt import discord_ts
from cogs._common.interactions import mentions_only
from cogs.standups import _render
from cogs.standups._views import post_view

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
# Interaction tokens work for 15 minutes; stop a minute early (the reply came a little after the interaction).
TOKEN_USE_SECONDS = 14 * 60


class StandupPoster:
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.lifecycle = bot.services.standups.lifecycle
        self.planner = bot.services.standups.planner
        self.answers = bot.services.standups.answers

    async def open(self, wake: StandupOpening) -> None:
        opened = False
        try:
            opened = await self._open(wake.circle_id, wake.local_date)
        finally:
            if not opened:
                # Not due, done elsewhere, or Discord refused: still plan what comes next (the next
                # opening, or a recovery of this one once its claim may be taken over).
                await self.planner.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=wake.circle_id))

    async def _open(self, circle_id: int, local_date: date) -> bool:
        """True when the standup is open (mark_open has planned its reminder, close and the next one).

        Thread, then opening message, each recorded before the next step (bot/checkpoints.py), so a
        takeover after a crash at any point finds what exists and never makes it twice.
        """
        claim = await self.lifecycle.claim_opening(circle_id, local_date)
        if claim is None:
            return False

        async def create_thread() -> int:
            return await start_public_thread(self.bot, claim.channel_id, thread_name(claim.local_date), "Daily standup")

        async def find_thread() -> int | None:
            return self._existing_thread(claim)

        thread = await checkpoint(
            Step(
                "thread",
                claim.thread_id,
                create_thread,
                functools.partial(self.lifecycle.record_thread, claim.occurrence_id),
                find_thread,
            ),
            recovering=claim.recovered,
        )

        async def post_opening() -> int:
            message = await self.bot.get_partial_messageable(thread.id).send(
                embed=_render.opening(claim), view=post_view(claim.occurrence_id), allowed_mentions=NO_PINGS
            )
            return message.id

        async def record_opening(message_id: int) -> None:
            await self.lifecycle.mark_open(claim, thread.id, message_id)

        async def find_opening() -> int | None:
            return await self._existing_opening(thread.id, claim)

        # A thread made just now holds no opening yet: only look for one in a thread that existed before.
        await checkpoint(
            Step("opening message", claim.message_id, post_opening, record_opening, find_opening),
            recovering=claim.recovered and not thread.created,
        )
        log.info("standup opened: circle %s (guild %s), thread %s", claim.circle_id, claim.guild_id, thread.id)
        return True

    async def _existing_opening(self, thread_id: int, claim: OpeningClaim) -> int | None:
        """After a crash between posting the opening message and recording it, find that message."""
        wanted = f"standup-post:{claim.occurrence_id}"
        async for message in self.bot.get_partial_messageable(thread_id).history(limit=20, oldest_first=True):
            buttons = [c for row in message.components for c in getattr(row, "children", [])]
            if any(getattr(button, "custom_id", None) == wanted for button in buttons):
                return message.id
        return None

    def _existing_thread(self, claim: OpeningClaim) -> int | None:
        """After a crash between creating the thread and recording it, reuse the thread we made."""
        channel = self.bot.get_channel(claim.channel_id)
        if not isinstance(channel, discord.TextChannel) or self.bot.user is None:
            return None
        # The name carries the local date, and the close archives every standup thread: an active thread
        # of ours with today's name is today's. (Not compared by creation time: Discord's clock and ours
        # may disagree by more than any grace worth choosing.)
        name = thread_name(claim.local_date)
        for thread in channel.threads:
            if thread.name == name and thread.owner_id == self.bot.user.id and not thread.archived:
                return thread.id
        return None

    async def reconcile(self) -> None:
        """After a restart, find answer messages whose ids were not written yet, by their author link."""
        lost = await self.answers.unrecorded_answer_messages(self.bot.owns_guild)
        for thread_id, answers in lost.items():
            # One unreadable thread (deleted, or no access any more) must not stop the others.
            await run_isolated(
                "finding answer messages", functools.partial(self._find_answers, thread_id, answers), thread=thread_id
            )
        await self.answers.flush_message_ids()

    async def _find_answers(self, thread_id: int, answers: dict[int, int]) -> None:
        if self.bot.user is None:
            return
        async for message in self.bot.get_partial_messageable(thread_id).history(limit=100):
            if message.author.id != self.bot.user.id or not message.embeds:
                continue
            link = message.embeds[0].author.url or ""
            user_id = int(link.rsplit("/", 1)[1]) if link.startswith(_render.member_url(0)[:-1]) else None
            if user_id is not None and user_id in answers:
                await self.answers.record_answer_message(answers.pop(user_id), message.id)

    async def remind(self, wake: StandupReminder) -> None:
        claim = await self.lifecycle.claim_reminder(wake.occurrence_id)
        if claim is None or not claim.user_ids:
            return
        await self.bot.get_partial_messageable(claim.thread_id).send(
            _render.reminder(claim.user_ids, discord_ts(claim.closes_at, "t")),
            allowed_mentions=mentions_only(claim.user_ids),
        )

    async def close(self, wake: StandupClose) -> None:
        summary = await self.lifecycle.claim_close(wake.occurrence_id)
        if summary is None or summary.thread_id is None:
            return
        try:
            message = await self.bot.get_partial_messageable(summary.thread_id).send(
                embed=_render.summary(summary), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException:
            # The close stays claimed; once its lease runs out a later wake-up posts the summary.
            await self.planner.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=summary.circle_id))
            raise
        await self.lifecycle.record_summary(wake.occurrence_id, message.id)
        await archive_thread(self.bot, summary.thread_id, "Standup closed")


class AnswerReplies:
    """The interactions whose public reply is an answer's message, while their token lasts (15 minutes).

    Editing a reply through its interaction is the way Discord documents; once the token has expired the
    bot edits the message as its own through the channel. Kept in memory only: tokens are secrets.
    """

    def __init__(self) -> None:
        # answer id → (monotonic time the token stops being used, reply's message id, its interaction),
        # oldest first. Monotonic deadlines: this runs for every answer, and is_expired() builds datetimes.
        self._live: dict[int, tuple[float, int, discord.Interaction[CirclesBot]]] = {}

    def add(self, answer_id: int, message_id: int, interaction: discord.Interaction[CirclesBot]) -> None:
        now = time.monotonic()
        while self._live:
            oldest, (until, _, _) = next(iter(self._live.items()))
            if until > now:
                break
            del self._live[oldest]
        self._live.pop(answer_id, None)  # re-added at the end, keeping the oldest first
        self._live[answer_id] = (now + TOKEN_USE_SECONDS, message_id, interaction)

    def live(self, answer_id: int, message_id: int) -> discord.Interaction[CirclesBot] | None:
        """The interaction whose reply is this message, while its token lasts."""
        until, message, interaction = self._live.get(answer_id, (0.0, None, None))
        return interaction if message == message_id and until > time.monotonic() else None


async def post_answer(
    interaction: discord.Interaction[CirclesBot], occurrence_id: int, answers: list[str], replies: AnswerReplies
) -> None:
    """Commit the answer, then show it in the thread: as the reply itself when the form came from the
    thread, else by posting (or replacing) the embed there and telling the member where it went."""
    service = interaction.client.services.standups.answers
    posted = await service.submit_answer(interaction.guild_id or 0, interaction.user.id, occurrence_id, answers)
    embed = _render.answer(posted, interaction.user.display_name, interaction.user.display_avatar.url)
    if posted.previous_message_id is None and interaction.channel_id == posted.thread_id:
        # The member's first answer, sent from the thread (its button): one request, and interaction
        # replies are outside Discord's global rate limit, so it never waits behind the pacer.
        message_id = await _reply_embed(interaction, embed)
        replies.add(posted.answer_id, message_id, interaction)
        await service.record_answer_message(posted.answer_id, message_id)
        return
    verb = "Updated" if posted.previous_message_id else "Posted"
    await interaction.response.send_message(
        f"{verb} in <#{posted.thread_id}>. Have a good day!", ephemeral=True, allowed_mentions=NO_PINGS
    )
    if posted.previous_message_id is not None:
        if await _replace(interaction.client, posted, posted.previous_message_id, embed, replies):
            return
        log.info("answer message %s is gone; posting it again", posted.previous_message_id)
    message_id = await _post_embed(interaction.client, posted.thread_id, embed)
    await service.record_answer_message(posted.answer_id, message_id)


async def _replace(
    bot: CirclesBot, posted: AnswerPosted, message_id: int, embed: discord.Embed, replies: AnswerReplies
) -> bool:
    """Edit an answer's message in place; False when it can no longer be edited (deleted, or refused)."""
    original = replies.live(posted.answer_id, message_id)
    if original is not None:
        try:
            await original.edit_original_response(embed=embed, allowed_mentions=NO_PINGS)
            return True
        except discord.NotFound:
            return False
        except discord.HTTPException:
            pass  # the token ran out meanwhile: edit it as the bot's own message below
    try:
        await (
            bot.get_partial_messageable(posted.thread_id)
            .get_partial_message(message_id)
            .edit(embed=embed, allowed_mentions=NO_PINGS)
        )
    except (discord.NotFound, discord.Forbidden):
        return False
    return True


async def _reply_embed(interaction: discord.Interaction[CirclesBot], embed: discord.Embed) -> int:
    """Reply to the interaction with a public embed; the reply's message id.

    Discord sends the reply's id with the callback response (``with_response``), which discord.py's
    ``send_message`` returns; asking for the reply is the fallback.
    """
    callback = await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)
    if callback.message_id is not None:
        return callback.message_id
    return (await interaction.original_response()).id


async def _post_embed(bot: CirclesBot, channel_id: int, embed: discord.Embed) -> int:
    """Post an embed; its message id."""
    message = await bot.get_partial_messageable(channel_id).send(embed=embed, allowed_mentions=NO_PINGS)
    return message.id
