"""World building: users, guilds, channels, roles and members, before or after the bot connects.

After the bot connects every change is dispatched as Discord would (GUILD_CREATE when the bot joins a
guild, CHANNEL_CREATE, GUILD_ROLE_CREATE, GUILD_MEMBER_ADD/REMOVE).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from . import payloads
from . import permissions as perms
from .core import Core
from .snowflakes import shard_for
from .state import CATEGORY, TEXT, VOICE, Channel, Guild, Member, Role, User, VoiceState, utcnow_iso


class WorldBuilding(Core):
    def add_user(self, username: str, bot: bool = False) -> int:
        user_id = self.world.ids.next()
        self.world.users[user_id] = User(id=user_id, username=username, bot=bot)
        return user_id

    def add_guild(
        self,
        name: str,
        owner_id: int,
        *,
        guild_id: int | None = None,
        bot_permissions: int = perms.DEFAULT_BOT,
    ) -> int:
        """A guild the bot is in, owned by ``owner_id`` (made a member), with @everyone and a bot role.

        ``guild_id`` lets a caller choose the id (e.g. one that lands on a given shard; see
        ``snowflake_on_shard``).
        """
        self.world.user(owner_id)
        gid = guild_id if guild_id is not None else self.world.ids.next()
        guild = Guild(id=gid, name=name, owner_id=owner_id, joined_at=utcnow_iso())
        guild.roles[gid] = Role(id=gid, guild_id=gid, name="@everyone", permissions=perms.DEFAULT_EVERYONE, position=0)
        bot_role = Role(
            id=self.world.ids.next(),
            guild_id=gid,
            name=self.world.user(self.bot_user_id).username,
            permissions=bot_permissions,
            position=1,
            bot_id=self.bot_user_id,
        )
        guild.roles[bot_role.id] = bot_role
        self.world.guilds[gid] = guild
        guild.members[owner_id] = Member(gid, owner_id, [], utcnow_iso())
        guild.members[self.bot_user_id] = Member(gid, self.bot_user_id, [bot_role.id], utcnow_iso())
        # Joining a guild after READY: GUILD_CREATE without "unavailable", which discord.py reports as a join.
        self.gateway.dispatch("GUILD_CREATE", lambda session: self.guild_create_payload(gid, session), guild_id=gid)
        return gid

    def snowflake_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A fresh, realistic snowflake whose guild would live on ``shard_id``."""
        return self.world.ids.next_where(lambda s: shard_for(s, shard_count) == shard_id)

    def add_channel(
        self,
        guild_id: int,
        name: str,
        type: int = TEXT,
        parent_id: int | None = None,
        *,
        topic: str | None = None,
        overwrites: Iterable[dict[str, Any]] = (),
    ) -> int:
        if type not in (TEXT, VOICE, CATEGORY):
            raise ValueError("add_channel makes text (0), voice (2) or category (4) channels; threads come from REST")
        guild = self.world.guild(guild_id)
        if parent_id is not None and self.world.channel(parent_id).type != CATEGORY:
            raise ValueError("parent_id must be a category channel")
        channel_id = self.world.ids.next()
        siblings = [c for c in self.world.guild_channels(guild_id) if c.type == type]
        channel = Channel(
            id=channel_id,
            type=type,
            name=name,
            guild_id=guild_id,
            position=len(siblings),
            parent_id=parent_id,
            topic=topic,
            overwrites=[_overwrite(o) for o in overwrites],
        )
        self.world.channels[channel_id] = channel
        guild.channel_ids.append(channel_id)
        if guild.system_channel_id is None and type == TEXT:
            guild.system_channel_id = channel_id
        self.gateway.dispatch("CHANNEL_CREATE", payloads.channel(self.world, channel), guild_id=guild_id)
        return channel_id

    def set_afk_channel(self, guild_id: int, channel_id: int | None, timeout: int = 300) -> None:
        guild = self.world.guild(guild_id)
        if channel_id is not None and self.world.channel(channel_id).type != VOICE:
            raise ValueError("the AFK channel must be a voice channel")
        guild.afk_channel_id = channel_id
        guild.afk_timeout = timeout
        self.gateway.dispatch("GUILD_UPDATE", payloads.guild_base(guild), guild_id=guild_id)

    def add_role(
        self, guild_id: int, name: str, permissions: int = 0, *, mentionable: bool = False, color: int = 0
    ) -> int:
        """A role created the way Discord creates them: at the bottom, just above @everyone."""
        guild = self.world.guild(guild_id)
        for existing in guild.roles.values():
            if existing.position >= 1:
                existing.position += 1
        role = Role(
            id=self.world.ids.next(),
            guild_id=guild_id,
            name=name,
            permissions=permissions,
            position=1,
            mentionable=mentionable,
            color=color,
        )
        guild.roles[role.id] = role
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": payloads.role(role)}, guild_id=guild_id
        )
        return role.id

    def add_member(self, guild_id: int, user_id: int, roles: Iterable[int] = ()) -> None:
        guild = self.world.guild(guild_id)
        self.world.user(user_id)
        role_ids = list(roles)
        for role_id in role_ids:
            self.world.role(guild_id, role_id)
        member = Member(guild_id, user_id, role_ids, utcnow_iso())
        guild.members[user_id] = member
        data = payloads.member(self.world, member)
        data["guild_id"] = str(guild_id)
        self.gateway.dispatch("GUILD_MEMBER_ADD", data, guild_id=guild_id)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        guild = self.world.guild(guild_id)
        self.world.member(guild_id, user_id)
        guild.voice_states.pop(user_id, None)
        del guild.members[user_id]
        for thread in self.world.threads_of(guild_id):
            thread.thread_members.pop(user_id, None)
        self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild_id), "user": payloads.user(self.world.user(user_id))},
            guild_id=guild_id,
        )

    def set_voice_state(
        self,
        guild_id: int,
        user_id: int,
        channel_id: int | None,
        *,
        self_deaf: bool = False,
        self_mute: bool = False,
    ) -> None:
        """Move a member into a voice channel (or out with None) and dispatch VOICE_STATE_UPDATE."""
        guild = self.world.guild(guild_id)
        self.world.member(guild_id, user_id)
        if channel_id is None:
            previous = guild.voice_states.pop(user_id, None)
            if previous is None:
                raise ValueError("the member is not in a voice channel")
            previous.channel_id = 0
            state = previous
        else:
            channel = self.world.channel(channel_id)
            if channel.guild_id != guild_id or channel.type != VOICE:
                raise ValueError("channel_id must be a voice channel of this guild")
            state = guild.voice_states.get(user_id) or VoiceState(
                guild_id=guild_id, user_id=user_id, channel_id=channel_id, session_id=secrets.token_hex(16)
            )
            state.channel_id = channel_id
            state.self_deaf = self_deaf
            state.self_mute = self_mute
            guild.voice_states[user_id] = state
        data = payloads.voice_state(self.world, state)
        if channel_id is None:
            data["channel_id"] = None
        self.gateway.dispatch("VOICE_STATE_UPDATE", data, guild_id=guild_id)
        self.notify()


def _overwrite(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(raw["id"]),
        "type": int(raw.get("type", 0)),
        "allow": str(raw.get("allow", 0)),
        "deny": str(raw.get("deny", 0)),
    }
