"""Private threads as pairing uses them, kept strict: only members see and use them; adding is checked."""

from __future__ import annotations

import discord
import pytest

from emulator import Driver, Emulator, World
from emulator.driver import DriverError

from .testbot import EchoBot, PanelView

pytestmark = pytest.mark.asyncio


async def private_thread(bot: EchoBot, world: World, *members: int) -> discord.Thread:
    home = bot.get_channel(world.circle_home)
    assert isinstance(home, discord.TextChannel)
    thread = await home.create_thread(name="Partners · 1", type=discord.ChannelType.private_thread, invitable=False)
    for user in members:
        await thread.add_user(discord.Object(user))
    return thread


async def test_only_thread_members_can_use_commands_and_buttons_there(
    emu: Emulator, world: World, bot: EchoBot, drv: Driver
) -> None:
    thread = await private_thread(bot, world, world.alice)
    panel = await thread.send("Pick", view=PanelView())
    with pytest.raises(DriverError, match="cannot see channel"):
        await drv.click(world.guild_a, world.bob, panel.id, "panel:update")
    with pytest.raises(DriverError, match="cannot see channel"):
        await drv.slash(world.guild_a, world.bob, "echo", channel_id=thread.id, text="hi")
    handle = await drv.slash(world.guild_a, world.alice, "echo", channel_id=thread.id, text="hi")
    assert (await handle.final_message())["content"].startswith("hi|")
    # The guild owner can manage threads, so it sees (and may use) every private thread, as on Discord.
    owner = await drv.slash(world.guild_a, world.host, "echo", channel_id=thread.id, text="yo")
    assert (await owner.final_message())["content"].startswith("yo|")


async def test_adding_someone_outside_the_guild_is_unknown_member(emu: Emulator, world: World, bot: EchoBot) -> None:
    thread = await private_thread(bot, world)
    with pytest.raises(discord.NotFound) as outside:
        await thread.add_user(discord.Object(world.eve))  # eve is only in guild B
    assert outside.value.code == 10007
    assert emu.thread_member_ids(thread.id) == {emu.bot_user_id}


async def test_adding_twice_is_harmless_and_members_are_exact(emu: Emulator, world: World, bot: EchoBot) -> None:
    thread = await private_thread(bot, world, world.alice, world.bob, world.alice)
    assert emu.thread_member_ids(thread.id) == {emu.bot_user_id, world.alice, world.bob}
    [listed] = emu.threads(world.circle_home)
    assert listed["type"] == 12 and listed["thread_metadata"]["invitable"] is False


async def test_the_bot_finds_its_private_threads_among_the_active_ones(world: World, bot: EchoBot) -> None:
    thread = await private_thread(bot, world, world.alice)
    listing = await bot.http.get_active_threads(world.guild_a)
    found = [t for t in listing["threads"] if int(t["id"]) == thread.id]
    assert len(found) == 1
    assert (found[0]["name"], int(found[0]["parent_id"]), int(found[0]["owner_id"])) == (
        "Partners · 1",
        world.circle_home,
        bot.user.id if bot.user else 0,
    )
