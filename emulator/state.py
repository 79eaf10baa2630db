"""The emulated world: users, guilds, channels, threads, roles, members, voice, messages and commands.

Plain data with lookups; no I/O. The REST handlers and the driver change it, and payloads.py turns it
into the JSON Discord would send.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import permissions as perms
from .errors import (
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    unknown,
)
from .mentions import Pings
from .snowflakes import SnowflakeFactory, iso_timestamp

TEXT = 0
DM = 1
VOICE = 2
CATEGORY = 4
ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
STAGE = 13
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})
VOICE_TYPES = frozenset({VOICE, STAGE})
MESSAGEABLE_TYPES = frozenset({TEXT, DM, VOICE, ANNOUNCEMENT, STAGE}) | THREAD_TYPES


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None  # set on a bot's managed role


@dataclass
class Member:
    guild_id: int
    user_id: int
    roles: list[int]
    joined_at: str
    nick: str | None = None


@dataclass
class ThreadMember:
    thread_id: int
    user_id: int
    join_timestamp: str
    flags: int = 0


@dataclass
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    bitrate: int = 64000
    user_limit: int = 0
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: str = ""
    create_timestamp: str | None = None
    message_count: int = 0
    total_message_sent: int = 0
    thread_members: dict[int, ThreadMember] = field(default_factory=dict)
    # DMs only.
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class VoiceState:
    guild_id: int
    user_id: int
    channel_id: int
    session_id: str
    self_deaf: bool = False
    self_mute: bool = False
    self_video: bool = False
    self_stream: bool = False
    deaf: bool = False
    mute: bool = False
    suppress: bool = False


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    joined_at: str
    afk_channel_id: int | None = None
    afk_timeout: int = 300
    system_channel_id: int | None = None
    channel_ids: list[int] = field(default_factory=list)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)


@dataclass
class StoredMessage:
    """A message as Discord holds it, plus what only the emulator keeps (allowed mentions, pings)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    payload: dict[str, Any]
    allowed_mentions: dict[str, Any] | None
    pings: Pings | None
    ephemeral: bool = False
    interaction_id: int | None = None
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags", 0))


@dataclass
class CommandRecord:
    id: int
    guild_id: int | None
    definition: dict[str, Any]
    version: int


class WorldState:
    """All entities by id, with the lookups that raise Discord's "Unknown X" errors."""

    def __init__(self, ids: SnowflakeFactory) -> None:
        self.ids = ids
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.global_commands: dict[int, CommandRecord] = {}
        self.guild_commands: dict[int, dict[int, CommandRecord]] = {}
        self.attachments: dict[int, bytes] = {}

    # lookups -------------------------------------------------------------------------------------

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise unknown("User", UNKNOWN_USER) from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise unknown("Guild", UNKNOWN_GUILD) from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise unknown("Channel", UNKNOWN_CHANNEL) from None

    def member(self, guild_id: int, user_id: int) -> Member:
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise unknown("Member", UNKNOWN_MEMBER) from None

    def role(self, guild_id: int, role_id: int) -> Role:
        try:
            return self.guild(guild_id).roles[role_id]
        except KeyError:
            raise unknown("Role", UNKNOWN_ROLE) from None

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        stored = self.messages.get(message_id)
        if stored is None or stored.deleted or stored.channel_id != channel_id or stored.ephemeral:
            raise unknown("Message", UNKNOWN_MESSAGE)
        return stored

    # derived facts --------------------------------------------------------------------------------

    def guild_channels(self, guild_id: int) -> list[Channel]:
        return [self.channels[c] for c in self.guild(guild_id).channel_ids]

    def threads_of(self, guild_id: int) -> list[Channel]:
        return [c for c in self.channels.values() if c.guild_id == guild_id and c.is_thread]

    def permission_channel(self, channel: Channel) -> Channel:
        """Threads take their permissions from their parent channel."""
        if channel.is_thread and channel.parent_id is not None:
            return self.channel(channel.parent_id)
        return channel

    def base_permissions(self, guild_id: int, user_id: int) -> int:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        everyone = guild.roles[guild_id].permissions
        role_perms = [guild.roles[r].permissions for r in member.roles if r in guild.roles]
        return perms.base_permissions(
            everyone=everyone, role_permissions=role_perms, is_owner=guild.owner_id == user_id
        )

    def channel_permissions(self, channel: Channel, user_id: int) -> int:
        if channel.guild_id is None:
            # DMs: everything a DM allows.
            return perms.VIEW_CHANNEL | perms.SEND_MESSAGES | perms.EMBED_LINKS | perms.ATTACH_FILES
        base = self.base_permissions(channel.guild_id, user_id)
        source = self.permission_channel(channel)
        member = self.member(channel.guild_id, user_id)
        total = perms.apply_overwrites(
            base,
            guild_id=channel.guild_id,
            member_id=user_id,
            member_roles=member.roles,
            overwrites=source.overwrites,
        )
        outsider = channel.type == PRIVATE_THREAD and user_id not in channel.thread_members
        if outsider and not total & perms.MANAGE_THREADS:
            # A private thread is invisible to non-members unless they can manage threads.
            return 0
        return total

    def top_role_position(self, guild_id: int, user_id: int) -> int:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)

    def channel_message_ids(self, channel_id: int) -> list[int]:
        return self.channel_messages.setdefault(channel_id, [])


def utcnow_iso() -> str:
    return iso_timestamp(dt.datetime.now(dt.UTC))
