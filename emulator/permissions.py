"""Discord permission bits and the permission computation Discord applies (base, overwrites, implicit)."""

from __future__ import annotations

from collections.abc import Iterable

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
PRIORITY_SPEAKER = 1 << 8
STREAM = 1 << 9
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
VIEW_GUILD_INSIGHTS = 1 << 19
CONNECT = 1 << 20
SPEAK = 1 << 21
MUTE_MEMBERS = 1 << 22
DEAFEN_MEMBERS = 1 << 23
MOVE_MEMBERS = 1 << 24
USE_VAD = 1 << 25
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
MANAGE_GUILD_EXPRESSIONS = 1 << 30
USE_APPLICATION_COMMANDS = 1 << 31
REQUEST_TO_SPEAK = 1 << 32
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
USE_EXTERNAL_STICKERS = 1 << 37
SEND_MESSAGES_IN_THREADS = 1 << 38
USE_EMBEDDED_ACTIVITIES = 1 << 39
MODERATE_MEMBERS = 1 << 40
SEND_VOICE_MESSAGES = 1 << 46
SEND_POLLS = 1 << 49
USE_EXTERNAL_APPS = 1 << 50

ALL = (1 << 51) - 1

# What a new server's @everyone role gets on Discord today (the parts that matter here). It includes
# MENTION_EVERYONE, so a bot that forgets allowed_mentions really would ping @everyone.
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | STREAM
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | USE_VAD
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | REQUEST_TO_SPEAK
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | USE_EXTERNAL_STICKERS
    | SEND_MESSAGES_IN_THREADS
    | USE_EMBEDDED_ACTIVITIES
    | SEND_VOICE_MESSAGES
    | SEND_POLLS
    | USE_EXTERNAL_APPS
)

# The bot's managed role: what `python -m bot invite-url` asks for.
DEFAULT_BOT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | MANAGE_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MANAGE_ROLES
)

# Permissions that only make sense in text-like channels; Discord strips them when SEND_MESSAGES is denied.
_NEEDS_SEND = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS


def base_permissions(*, everyone: int, role_permissions: Iterable[int], is_owner: bool) -> int:
    if is_owner:
        return ALL
    total = everyone
    for value in role_permissions:
        total |= value
    if total & ADMINISTRATOR:
        return ALL
    return total


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    member_roles: Iterable[int],
    overwrites: Iterable[dict[str, object]],
) -> int:
    """Discord's order: @everyone overwrite, then all role overwrites together, then the member's."""
    if base & ADMINISTRATOR:
        return ALL
    by_id = {int(str(o["id"])): o for o in overwrites}
    total = base
    everyone = by_id.get(guild_id)
    if everyone is not None:
        total &= ~int(str(everyone["deny"]))
        total |= int(str(everyone["allow"]))
    allow = deny = 0
    for role_id in member_roles:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.get("type", 0) == 0:
            allow |= int(str(overwrite["allow"]))
            deny |= int(str(overwrite["deny"]))
    total = (total & ~deny) | allow
    mine = by_id.get(member_id)
    if mine is not None and mine.get("type", 1) == 1:
        total = (total & ~int(str(mine["deny"]))) | int(str(mine["allow"]))
    return implicit(total)


def implicit(total: int) -> int:
    """Discord's implicit rules: no VIEW_CHANNEL means nothing; no SEND_MESSAGES drops the send extras."""
    if total == ALL:
        return total
    if not total & VIEW_CHANNEL:
        return 0
    if not total & SEND_MESSAGES:
        total &= ~_NEEDS_SEND
    return total
