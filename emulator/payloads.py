"""The JSON shapes Discord sends for each entity (REST answers and gateway events alike)."""

from __future__ import annotations

from typing import Any

from .state import (
    PRIVATE_THREAD,
    VOICE_TYPES,
    Channel,
    Guild,
    Member,
    Role,
    ThreadMember,
    User,
    VoiceState,
    WorldState,
)

JSON = dict[str, Any]


def user(u: User) -> JSON:
    data: JSON = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if u.bot:
        data["bot"] = True
    return data


def client_user(u: User) -> JSON:
    """``GET /users/@me`` and READY's ``user``: the public user plus account fields."""
    data = user(u)
    data.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None, "bio": ""})
    return data


def role(r: Role) -> JSON:
    data: JSON = {
        "id": str(r.id),
        "name": r.name,
        "description": None,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.bot_id is not None,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def member(world: WorldState, m: Member, *, with_user: bool = True) -> JSON:
    data: JSON = {
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in m.roles],
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(world.user(m.user_id))
    return data


def thread_member(tm: ThreadMember) -> JSON:
    return {
        "id": str(tm.thread_id),
        "user_id": str(tm.user_id),
        "join_timestamp": tm.join_timestamp,
        "flags": tm.flags,
    }


def channel(world: WorldState, c: Channel, *, viewer_id: int | None = None) -> JSON:
    """A channel object. ``viewer_id`` adds the viewer's thread membership (``member``) on threads."""
    if c.is_thread:
        return thread(c, viewer_id=viewer_id)
    data: JSON = {"id": str(c.id), "type": c.type, "flags": 0, "last_message_id": _opt(c.last_message_id)}
    if c.guild_id is None:
        recipients = [user(world.user(c.recipient_id))] if c.recipient_id is not None else []
        data["recipients"] = recipients
        return data
    data.update(
        {
            "guild_id": str(c.guild_id),
            "name": c.name,
            "position": c.position,
            "permission_overwrites": c.overwrites,
            "parent_id": _opt(c.parent_id),
            "nsfw": c.nsfw,
            "rate_limit_per_user": c.rate_limit_per_user,
        }
    )
    if c.type in VOICE_TYPES:
        data.update({"bitrate": c.bitrate, "user_limit": c.user_limit, "rtc_region": None, "video_quality_mode": 1})
    else:
        data.update({"topic": c.topic, "default_auto_archive_duration": 1440})
    return data


def thread(c: Channel, *, viewer_id: int | None = None) -> JSON:
    metadata: JSON = {
        "archived": c.archived,
        "auto_archive_duration": c.auto_archive_duration,
        "archive_timestamp": c.archive_timestamp,
        "locked": c.locked,
        "create_timestamp": c.create_timestamp,
    }
    if c.type == PRIVATE_THREAD:
        metadata["invitable"] = c.invitable
    data: JSON = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(c.owner_id),
        "name": c.name,
        "last_message_id": _opt(c.last_message_id),
        "rate_limit_per_user": c.rate_limit_per_user,
        "message_count": c.message_count,
        "member_count": len(c.thread_members),
        "total_message_sent": c.total_message_sent,
        "flags": 0,
        "thread_metadata": metadata,
    }
    if viewer_id is not None and viewer_id in c.thread_members:
        data["member"] = thread_member(c.thread_members[viewer_id])
    return data


def voice_state(world: WorldState, vs: VoiceState, *, in_guild_create: bool = False) -> JSON:
    data: JSON = {
        "channel_id": str(vs.channel_id),
        "user_id": str(vs.user_id),
        "session_id": vs.session_id,
        "deaf": vs.deaf,
        "mute": vs.mute,
        "self_deaf": vs.self_deaf,
        "self_mute": vs.self_mute,
        "self_video": vs.self_video,
        "self_stream": vs.self_stream,
        "suppress": vs.suppress,
        "request_to_speak_timestamp": None,
    }
    if not in_guild_create:
        # GUILD_CREATE's voice_states leave out guild_id and member; the standalone event carries both.
        data["guild_id"] = str(vs.guild_id)
        data["member"] = member(world, world.member(vs.guild_id, vs.user_id))
    return data


def guild_base(g: Guild) -> JSON:
    """The guild object as ``GET /guilds/{id}`` returns it."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": _opt(g.afk_channel_id),
        "afk_timeout": g.afk_timeout,
        "system_channel_id": _opt(g.system_channel_id),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "vanity_url_code": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [role(r) for r in sorted(g.roles.values(), key=lambda r: r.position)],
        "application_id": None,
        "incidents_data": None,
    }


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)
