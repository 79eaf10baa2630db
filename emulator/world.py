"""A ready-made world for tests and demos: two guilds with channels, roles and people."""

from __future__ import annotations

from dataclasses import dataclass

from .server import Emulator
from .snowflakes import shard_for
from .state import VOICE


@dataclass(frozen=True)
class World:
    """Ids of everything ``default_world`` made. Guild A and B land on different shards of two."""

    bot: int
    guild_a: int
    general: int
    circle_home: int
    second_home: int
    focus_room: int
    afk: int
    hosts_role: int
    circle_role: int
    host: int
    alice: int
    bob: int
    carol: int
    dave: int
    guild_b: int
    general_b: int
    voice_b: int
    eve: int

    @property
    def guild_a_members(self) -> tuple[int, ...]:
        return (self.host, self.alice, self.bob, self.carol, self.dave)


def default_world(emu: Emulator) -> World:
    """Guild A ("Cowork A"): #general, #circle-home, #second-home, voice "Focus Room", voice "AFK" (the
    AFK channel), roles "Hosts" (no permissions) and "Circle"; ``host`` owns it (so has Manage Server),
    ``alice``, ``bob``, ``carol`` and ``dave`` are plain members. Guild B ("Cowork B"): #general, voice
    "Co-working", members ``eve`` and ``host`` (not its owner: eve owns B)."""
    host = emu.add_user("host")
    alice = emu.add_user("alice")
    bob = emu.add_user("bob")
    carol = emu.add_user("carol")
    dave = emu.add_user("dave")
    eve = emu.add_user("eve")

    guild_a = emu.add_guild("Cowork A", host)
    general = emu.add_channel(guild_a, "general")
    circle_home = emu.add_channel(guild_a, "circle-home")
    second_home = emu.add_channel(guild_a, "second-home")
    focus_room = emu.add_channel(guild_a, "Focus Room", VOICE)
    afk = emu.add_channel(guild_a, "AFK", VOICE)
    emu.set_afk_channel(guild_a, afk)
    hosts_role = emu.add_role(guild_a, "Hosts")
    circle_role = emu.add_role(guild_a, "Circle")
    for user in (alice, bob, carol, dave):
        emu.add_member(guild_a, user)

    # Guild B on the other shard when the bot runs two, so sharding tests see both shards busy.
    other_shard = 1 - shard_for(guild_a, 2)
    guild_b = emu.add_guild("Cowork B", eve, guild_id=emu.snowflake_on_shard(other_shard, 2))
    general_b = emu.add_channel(guild_b, "general")
    voice_b = emu.add_channel(guild_b, "Co-working", VOICE)
    emu.add_member(guild_b, host)

    return World(
        bot=emu.bot_user_id,
        guild_a=guild_a,
        general=general,
        circle_home=circle_home,
        second_home=second_home,
        focus_room=focus_room,
        afk=afk,
        hosts_role=hosts_role,
        circle_role=circle_role,
        host=host,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        guild_b=guild_b,
        general_b=general_b,
        voice_b=voice_b,
        eve=eve,
    )
