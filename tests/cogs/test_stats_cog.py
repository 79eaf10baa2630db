"""`/stats` and `/privacy` callbacks with spec'd fake interactions: deferral, files, refusals, the forget button."""

from __future__ import annotations

import io
from typing import Any

import discord
import pytest
from PIL import Image

import cogs.privacy
import cogs.stats
from bot.actors import Actor
from bot.client import CirclesBot
from cogs.privacy._cog import PrivacyCog
from cogs.privacy._views import ForgetButton
from cogs.stats._cog import StatsCog
from tests.cogs.fakes import GUILD, OTHER_GUILD, Reply, fake_interaction, fake_member, invoke, replies

ADA, BEN = 1, 2


@pytest.fixture
async def loaded(bot: CirclesBot) -> CirclesBot:
    await cogs.stats.setup(bot)
    await cogs.privacy.setup(bot)
    return bot


def stats_cog(bot: CirclesBot) -> StatsCog:
    found = bot.get_cog("StatsCog")
    assert isinstance(found, StatsCog)
    return found


def privacy_cog(bot: CirclesBot) -> PrivacyCog:
    found = bot.get_cog("PrivacyCog")
    assert isinstance(found, PrivacyCog)
    return found


async def run(bot: CirclesBot, command: Any, *, user_id: int = ADA, **options: Any) -> tuple[Reply, Any]:
    interaction = fake_interaction(bot, fake_member(user_id, name="Ada"))
    return await invoke(bot, interaction, command, **options), interaction


def file_of(reply: Reply) -> discord.File:
    sent = reply.kwargs.get("file")
    assert isinstance(sent, discord.File)
    return sent


async def test_stats_me_defers_then_sends_the_heat_map_png(loaded: CirclesBot) -> None:
    reply, interaction = await run(loaded, stats_cog(loaded).me, period="month")
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert reply.ephemeral and reply.pings_nobody
    sent = file_of(reply)
    assert sent.filename == "focus-heatmap.png"
    png = sent.fp.read()
    assert Image.open(io.BytesIO(png)).size == (800, 320)
    assert reply.embed is not None and reply.embed.image.url == "attachment://focus-heatmap.png"
    assert "this month" in reply.text() and "Active on 0 of the last" in reply.text()


async def test_an_unknown_period_is_refused_before_deferring(loaded: CirclesBot) -> None:
    reply, interaction = await run(loaded, stats_cog(loaded).me, period="fortnight")
    interaction.response.defer.assert_not_called()
    assert reply.ephemeral and "`fortnight` is not a period. Use `week`" in (reply.content or "")


async def test_stats_circle_of_another_guild_is_not_found_here(loaded: CirclesBot) -> None:
    services = loaded.services
    ours = await services.circles.create(Actor(GUILD, ADA, manages_guild=True), name="Ours", channel_id=10)
    theirs = await services.circles.create(Actor(OTHER_GUILD, BEN, manages_guild=True), name="Theirs", channel_id=20)
    reply, _ = await run(loaded, stats_cog(loaded).circle, circle=str(theirs.id))
    assert reply.ephemeral and "No circle called" in (reply.content or "")
    reply, _ = await run(loaded, stats_cog(loaded).circle, circle=str(ours.id), period="all")
    assert file_of(reply).filename == "circle-focus.png"
    assert "Ours: circle stats" in reply.text() and "Cooperative goal" in reply.text()
    assert "Nobody yet" in reply.text()  # an empty leaderboard cheers, never shames


async def test_stats_export_sends_two_csv_files_and_refuses_a_backwards_range(loaded: CirclesBot) -> None:
    reply, _ = await run(loaded, stats_cog(loaded).export, first="2026-11-01", last="2026-11-20")
    files = reply.kwargs.get("files")
    assert isinstance(files, list)
    assert [f.filename for f in files] == [
        "cowork-2026-11-01-to-2026-11-20-sessions.csv",
        "cowork-2026-11-01-to-2026-11-20-hours-by-tag.csv",
    ]
    assert files[0].fp.read().decode("utf-8-sig").startswith("date,start,end,minutes,circle,tag,kind,timezone")
    assert reply.ephemeral and reply.pings_nobody
    reply, _ = await run(loaded, stats_cog(loaded).export, first="2026-11-20", last="2026-11-01")
    assert reply.ephemeral and "is after `to`" in (reply.content or "")
    reply, _ = await run(loaded, stats_cog(loaded).export, first=None, last="2031-01-01")
    assert "more than a year ahead" in (reply.content or "")


async def test_privacy_export_is_a_json_file(loaded: CirclesBot) -> None:
    await loaded.services.profiles.set_timezone(GUILD, ADA, "Europe/Berlin")
    reply, _ = await run(loaded, privacy_cog(loaded).export)
    sent = file_of(reply)
    assert sent.filename.endswith(".json") and b"Europe/Berlin" in sent.fp.read()
    assert reply.ephemeral


async def test_privacy_forget_asks_first_and_only_its_owner_can_confirm(loaded: CirclesBot) -> None:
    await loaded.services.profiles.set_timezone(GUILD, ADA, "Europe/Berlin")
    reply, _ = await run(loaded, privacy_cog(loaded).forget)
    assert reply.ephemeral and "cannot be undone" in (reply.content or "")
    assert reply.view is not None
    ids = [getattr(item, "custom_id", None) for item in reply.view.children]
    assert ids == [f"privacy-forget:{ADA}:1", f"privacy-forget:{ADA}:0"]
    assert (await loaded.services.profiles.get(GUILD, ADA)).timezone == "Europe/Berlin"  # nothing deleted yet

    stranger = fake_interaction(loaded, fake_member(BEN))
    await ForgetButton(ADA, confirm=True).callback(stranger)
    [refusal] = replies(stranger)
    assert refusal.ephemeral and "someone else's" in (refusal.content or "")
    assert (await loaded.services.profiles.get(GUILD, ADA)).timezone == "Europe/Berlin"

    keep = fake_interaction(loaded, fake_member(ADA))
    await ForgetButton(ADA, confirm=False).callback(keep)
    keep.response.edit_message.assert_awaited_once_with(content="Nothing was deleted.", view=None)  # type: ignore[attr-defined]

    owner = fake_interaction(loaded, fake_member(ADA))
    await ForgetButton(ADA, confirm=True).callback(owner)
    owner.response.defer.assert_awaited_once()  # type: ignore[attr-defined]
    edited = owner.edit_original_response.call_args  # type: ignore[attr-defined]
    assert "all your data in this server is deleted" in edited.kwargs["content"]
    assert (await loaded.services.profiles.get(GUILD, ADA)).timezone is None
