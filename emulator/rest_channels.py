"""REST: channels, messages, threads and thread members — with Discord's permission checks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import intents as gi
from . import payloads
from . import permissions as perms
from .errors import ApiError, invalid_form, missing_access, missing_permissions, unknown
from .routing import RestRequest, RestResponse, Router
from .state import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    MESSAGEABLE_TYPES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    THREAD_TYPES,
    Channel,
    ThreadMember,
    utcnow_iso,
)

if TYPE_CHECKING:
    from .gateway import GatewaySession
    from .server import Emulator

JSON = dict[str, Any]

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
THREAD_ARCHIVED = 50083


class ChannelRoutes:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world
        self.bot = emu.bot_user_id

    def register(self, router: Router) -> None:
        add = router.add
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("PATCH", "/channels/{channel_id}", self.edit_channel)
        add("DELETE", "/channels/{channel_id}", self.delete_channel)
        add("GET", "/channels/{channel_id}/messages", self.history)
        add("POST", "/channels/{channel_id}/messages", self.send)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("POST", "/channels/{channel_id}/threads", self.start_thread)
        add("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.start_thread_from_message)
        add("GET", "/channels/{channel_id}/thread-members", self.thread_members)
        add("GET", "/channels/{channel_id}/thread-members/{user_id}", self.thread_member)
        add("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.join_thread)
        add("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.leave_thread)
        add("GET", "/channels/{channel_id}/threads/archived/public", self.archived_public)
        add("GET", "/channels/{channel_id}/threads/archived/private", self.archived_private)
        add("GET", "/channels/{channel_id}/users/@me/threads/archived/private", self.archived_joined)
        add("GET", "/guilds/{guild_id}/threads/active", self.active_threads)

    # helpers ----------------------------------------------------------------------------------------

    def _perms(self, channel: Channel) -> int:
        return self.world.channel_permissions(channel, self.bot)

    def _visible(self, request: RestRequest) -> Channel:
        channel = self.world.channel(request.snowflake("channel_id"))
        if channel.guild_id is not None and not self._perms(channel) & perms.VIEW_CHANNEL:
            raise missing_access()
        return channel

    def _require(self, channel: Channel, needed: int) -> None:
        if channel.guild_id is not None and (self._perms(channel) & needed) != needed:
            raise missing_permissions()

    def _user_id(self, request: RestRequest) -> int:
        raw = request.params["user_id"]
        return self.bot if raw == "@me" else request.snowflake("user_id")

    def _thread(self, request: RestRequest) -> Channel:
        channel = self._visible(request)
        if not channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return channel

    def _thread_event(self, channel: Channel) -> Callable[[GatewaySession], JSON | None]:
        """THREAD_* events go only to sessions whose bot can see the thread (private threads!)."""

        def for_session(session: GatewaySession) -> JSON | None:
            if not self._perms(channel) & perms.VIEW_CHANNEL:
                return None
            return payloads.thread(channel, viewer_id=self.bot)

        return for_session

    # channels ---------------------------------------------------------------------------------------

    async def get_channel(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        return RestResponse(200, payloads.channel(self.world, channel, viewer_id=self.bot))

    async def edit_channel(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        body = request.body()
        if channel.is_thread:
            self._edit_thread(channel, body)
            self.emu.gateway.dispatch("THREAD_UPDATE", self._thread_event(channel), guild_id=channel.guild_id)
        else:
            self._require(channel, perms.MANAGE_CHANNELS)
            if "name" in body:
                _name(body["name"])
                channel.name = body["name"]
            for key in ("topic", "nsfw", "rate_limit_per_user", "position", "bitrate", "user_limit"):
                if key in body:
                    setattr(channel, key, body[key])
            if "permission_overwrites" in body:
                if not self._perms(channel) & perms.MANAGE_ROLES:
                    raise missing_permissions()
                channel.overwrites = copy.deepcopy(body["permission_overwrites"] or [])
            self.emu.gateway.dispatch(
                "CHANNEL_UPDATE", payloads.channel(self.world, channel), guild_id=channel.guild_id
            )
        self.emu.notify()
        return RestResponse(200, payloads.channel(self.world, channel, viewer_id=self.bot))

    def _edit_thread(self, thread: Channel, body: JSON) -> None:
        mine = self._perms(thread)
        manage = bool(mine & perms.MANAGE_THREADS)
        owner = thread.owner_id == self.bot
        if thread.archived and body.get("archived", True) is not False:
            # An archived thread accepts only being unarchived.
            raise ApiError(400, THREAD_ARCHIVED, "Thread is archived")
        if thread.archived and thread.locked and not manage:
            raise missing_permissions()
        if "name" in body:
            _name(body["name"])
            if not (owner or manage):
                raise missing_permissions()
            thread.name = body["name"]
        if "locked" in body:
            if not manage:
                raise missing_permissions()
            thread.locked = bool(body["locked"])
        if "invitable" in body:
            if thread.type != PRIVATE_THREAD:
                raise invalid_form("invitable", "BASE_TYPE_BAD_VALUE", "Only private threads have invitable.")
            if not (owner or manage):
                raise missing_permissions()
            thread.invitable = bool(body["invitable"])
        if "auto_archive_duration" in body:
            if body["auto_archive_duration"] not in ARCHIVE_DURATIONS:
                raise invalid_form(
                    "auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    "Value must be one of 60, 1440, 4320, 10080.",
                )
            thread.auto_archive_duration = int(body["auto_archive_duration"])
        if "rate_limit_per_user" in body:
            thread.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
        if "archived" in body and bool(body["archived"]) != thread.archived:
            if body["archived"] and not (owner or manage):
                raise missing_permissions()
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = utcnow_iso()

    async def delete_channel(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        self._require(channel, perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS)
        data = payloads.channel(self.world, channel)
        if channel.is_thread:
            event = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self.emu.gateway.dispatch("THREAD_DELETE", event, guild_id=channel.guild_id)
        else:
            self.emu.gateway.dispatch("CHANNEL_DELETE", data, guild_id=channel.guild_id)
            if channel.guild_id is not None:
                self.world.guild(channel.guild_id).channel_ids.remove(channel.id)
        del self.world.channels[channel.id]
        self.emu.notify()
        return RestResponse(200, data)

    async def typing(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        self._require(channel, perms.SEND_MESSAGES_IN_THREADS if channel.is_thread else perms.SEND_MESSAGES)
        return RestResponse(204)

    # messages ---------------------------------------------------------------------------------------

    async def history(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        if channel.guild_id is not None and not self._perms(channel) & perms.READ_MESSAGE_HISTORY:
            return RestResponse(200, [])
        limit = int(request.query.get("limit", "50"))
        if not 1 <= limit <= 100:
            raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
        ids = sorted(self.world.channel_message_ids(channel.id))
        if "after" in request.query:
            after = int(request.query["after"])
            chosen = [i for i in ids if i > after][:limit]
        elif "around" in request.query:
            around = int(request.query["around"])
            older = [i for i in ids if i <= around][-((limit + 1) // 2) :]
            newer = [i for i in ids if i > around][: limit // 2]
            chosen = older + newer
        else:
            before = int(request.query.get("before", str(1 << 63)))
            chosen = [i for i in ids if i < before][-limit:]
        # Discord answers newest first, whichever way the page was asked for.
        result = [copy.deepcopy(self.world.messages[i].payload) for i in sorted(chosen, reverse=True)]
        return RestResponse(200, result)

    async def send(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        if channel.type not in MESSAGEABLE_TYPES:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.guild_id is not None:
            needed = perms.SEND_MESSAGES_IN_THREADS if channel.is_thread else perms.SEND_MESSAGES
            if request.files:
                needed |= perms.ATTACH_FILES
            self._require(channel, needed)
        if channel.is_thread and channel.archived:
            if channel.locked and not self._perms(channel) & perms.MANAGE_THREADS:
                raise ApiError(400, THREAD_ARCHIVED, "Thread is archived")
            # Sending into an archived (unlocked) thread unarchives it, as on Discord.
            channel.archived = False
            channel.archive_timestamp = utcnow_iso()
            self.emu.gateway.dispatch("THREAD_UPDATE", self._thread_event(channel), guild_id=channel.guild_id)
        stored = self.emu.store.create(channel, self.bot, request.body(), request.files)
        self.emu.notify()
        return RestResponse(200, copy.deepcopy(stored.payload))

    async def get_message(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        if channel.guild_id is not None and not self._perms(channel) & perms.READ_MESSAGE_HISTORY:
            raise missing_access()
        stored = self.world.message(channel.id, request.snowflake("message_id"))
        return RestResponse(200, copy.deepcopy(stored.payload))

    async def edit_message(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        stored = self.world.message(channel.id, request.snowflake("message_id"))
        # A public interaction response is the bot's own message and can be edited like one (ephemeral
        # ones are unknown here: world.message hides them).
        if stored.author_id != self.bot:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.emu.store.edit(stored, request.body(), request.files)
        self.emu.notify()
        return RestResponse(200, copy.deepcopy(stored.payload))

    async def delete_message(self, request: RestRequest) -> RestResponse:
        channel = self._visible(request)
        stored = self.world.message(channel.id, request.snowflake("message_id"))
        if stored.author_id != self.bot:
            self._require(channel, perms.MANAGE_MESSAGES)
        self.emu.store.delete(stored)
        self.emu.notify()
        return RestResponse(204)

    # threads ----------------------------------------------------------------------------------------

    def _new_thread(self, parent: Channel, body: JSON, *, thread_id: int, kind: int) -> Channel:
        name = body.get("name")
        _name(name)
        duration = int(body.get("auto_archive_duration") or 1440)
        if duration not in ARCHIVE_DURATIONS:
            raise invalid_form(
                "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of 60, 1440, 4320, 10080."
            )
        now = utcnow_iso()
        thread = Channel(
            id=thread_id,
            type=kind,
            name=str(name),
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot,
            auto_archive_duration=duration,
            archive_timestamp=now,
            create_timestamp=now,
            invitable=bool(body.get("invitable", True)),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        thread.thread_members[self.bot] = ThreadMember(thread_id, self.bot, now)
        self.world.channels[thread_id] = thread
        data = self._thread_event(thread)

        def created(session: GatewaySession) -> JSON | None:
            payload = data(session)
            if payload is not None:
                payload["newly_created"] = True
            return payload

        self.emu.gateway.dispatch("THREAD_CREATE", created, guild_id=thread.guild_id)
        return thread

    def _thread_parent(self, request: RestRequest) -> Channel:
        parent = self._visible(request)
        if parent.type not in (TEXT, ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return parent

    async def start_thread(self, request: RestRequest) -> RestResponse:
        parent = self._thread_parent(request)
        body = request.body()
        kind = int(body.get("type", PRIVATE_THREAD))
        if parent.type == ANNOUNCEMENT:
            kind = ANNOUNCEMENT_THREAD
        if kind not in THREAD_TYPES:
            raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}.")
        self._require(parent, perms.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS)
        thread = self._new_thread(parent, body, thread_id=self.world.ids.next(), kind=kind)
        self.emu.notify()
        return RestResponse(201, payloads.channel(self.world, thread, viewer_id=self.bot))

    async def start_thread_from_message(self, request: RestRequest) -> RestResponse:
        parent = self._thread_parent(request)
        message = self.world.message(parent.id, request.snowflake("message_id"))
        if message.id in self.world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        self._require(parent, perms.CREATE_PUBLIC_THREADS | perms.READ_MESSAGE_HISTORY)
        kind = ANNOUNCEMENT_THREAD if parent.type == ANNOUNCEMENT else PUBLIC_THREAD
        # A thread started from a message shares the message's id.
        thread = self._new_thread(parent, request.body(), thread_id=message.id, kind=kind)
        message.payload["flags"] = message.flags | (1 << 5)
        message.payload["thread"] = payloads.thread(thread)
        self.emu.store.dispatch("MESSAGE_UPDATE", message)
        self.emu.notify()
        return RestResponse(201, payloads.channel(self.world, thread, viewer_id=self.bot))

    # thread members ---------------------------------------------------------------------------------

    def _member_payload(self, thread: Channel, user_id: int, with_member: bool) -> JSON:
        data = payloads.thread_member(thread.thread_members[user_id])
        if with_member and thread.guild_id is not None:
            data["member"] = payloads.member(self.world, self.world.member(thread.guild_id, user_id))
        return data

    async def thread_members(self, request: RestRequest) -> RestResponse:
        thread = self._thread(request)
        with_member = request.flag("with_member")
        if with_member and not self.emu.privileged_intents & gi.GUILD_MEMBERS:
            raise missing_access()
        ids = sorted(thread.thread_members)
        return RestResponse(200, [self._member_payload(thread, u, with_member) for u in ids])

    async def thread_member(self, request: RestRequest) -> RestResponse:
        thread = self._thread(request)
        user_id = self._user_id(request)
        if user_id not in thread.thread_members:
            raise unknown("Member", 10007)
        return RestResponse(200, self._member_payload(thread, user_id, request.flag("with_member")))

    async def join_thread(self, request: RestRequest) -> RestResponse:
        thread = self._thread(request)
        user_id = self._user_id(request)
        if thread.archived:
            raise ApiError(400, THREAD_ARCHIVED, "Thread is archived")
        assert thread.guild_id is not None
        self.world.member(thread.guild_id, user_id)
        if user_id != self.bot:
            # Adding someone needs the right to speak in the thread (and, for a private thread, to be in it).
            self._require(thread, perms.SEND_MESSAGES_IN_THREADS)
            outsider = thread.type == PRIVATE_THREAD and self.bot not in thread.thread_members
            if outsider and not self._perms(thread) & perms.MANAGE_THREADS:
                raise missing_access()
        if user_id not in thread.thread_members:
            thread.thread_members[user_id] = ThreadMember(thread.id, user_id, utcnow_iso())
            self._members_update(thread, added=user_id)
        self.emu.notify()
        return RestResponse(204)

    async def leave_thread(self, request: RestRequest) -> RestResponse:
        thread = self._thread(request)
        user_id = self._user_id(request)
        if thread.archived:
            raise ApiError(400, THREAD_ARCHIVED, "Thread is archived")
        if user_id != self.bot:
            manage = self._perms(thread) & perms.MANAGE_THREADS
            if not manage and not (thread.type == PRIVATE_THREAD and thread.owner_id == self.bot):
                raise missing_permissions()
        if user_id in thread.thread_members:
            del thread.thread_members[user_id]
            self._members_update(thread, removed=user_id)
        self.emu.notify()
        return RestResponse(204)

    def _members_update(self, thread: Channel, *, added: int | None = None, removed: int | None = None) -> None:
        assert thread.guild_id is not None
        data: JSON = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.thread_members),
        }
        if added is not None:
            entry = payloads.thread_member(thread.thread_members[added])
            entry["member"] = payloads.member(self.world, self.world.member(thread.guild_id, added))
            entry["presence"] = None
            data["added_members"] = [entry]
        if removed is not None:
            data["removed_member_ids"] = [str(removed)]
        subject = added if added is not None else removed

        def for_session(session: GatewaySession) -> JSON | None:
            # Without GUILD_MEMBERS, Discord only tells a bot about itself joining or leaving.
            if subject != self.bot and not session.has(gi.GUILD_MEMBERS):
                return None
            if subject != self.bot and not self._perms(thread) & perms.VIEW_CHANNEL:
                return None
            return data

        self.emu.gateway.dispatch("THREAD_MEMBERS_UPDATE", for_session, guild_id=thread.guild_id)
        if subject == self.bot and added is not None:
            # Joining a thread also brings the thread itself (THREAD_CREATE without newly_created).
            self.emu.gateway.dispatch("THREAD_CREATE", self._thread_event(thread), guild_id=thread.guild_id)

    # thread listings --------------------------------------------------------------------------------

    def _listing(self, threads: list[Channel], request: RestRequest) -> RestResponse:
        limit = int(request.query.get("limit", "50"))
        before = request.query.get("before")
        ordered = sorted(threads, key=lambda t: t.archive_timestamp, reverse=True)
        if before:
            ordered = [t for t in ordered if t.archive_timestamp < before]
        page = ordered[:limit]
        members = [payloads.thread_member(t.thread_members[self.bot]) for t in page if self.bot in t.thread_members]
        return RestResponse(
            200,
            {
                "threads": [payloads.thread(t, viewer_id=self.bot) for t in page],
                "members": members,
                "has_more": len(ordered) > limit,
            },
        )

    def _archived(self, parent: Channel, kind: int) -> list[Channel]:
        return [
            c
            for c in self.world.channels.values()
            if c.is_thread and c.parent_id == parent.id and c.archived and c.type == kind
        ]

    async def archived_public(self, request: RestRequest) -> RestResponse:
        parent = self._visible(request)
        self._require(parent, perms.READ_MESSAGE_HISTORY)
        return self._listing(self._archived(parent, PUBLIC_THREAD), request)

    async def archived_private(self, request: RestRequest) -> RestResponse:
        parent = self._visible(request)
        self._require(parent, perms.READ_MESSAGE_HISTORY | perms.MANAGE_THREADS)
        return self._listing(self._archived(parent, PRIVATE_THREAD), request)

    async def archived_joined(self, request: RestRequest) -> RestResponse:
        parent = self._visible(request)
        self._require(parent, perms.READ_MESSAGE_HISTORY)
        joined = [t for t in self._archived(parent, PRIVATE_THREAD) if self.bot in t.thread_members]
        return self._listing(joined, request)

    async def active_threads(self, request: RestRequest) -> RestResponse:
        guild = self.world.guild(request.snowflake("guild_id"))
        if self.bot not in guild.members:
            raise missing_access()
        threads = [t for t in self.world.threads_of(guild.id) if not t.archived and self._perms(t) & perms.VIEW_CHANNEL]
        members = [payloads.thread_member(t.thread_members[self.bot]) for t in threads if self.bot in t.thread_members]
        return RestResponse(200, {"threads": [payloads.thread(t) for t in threads], "members": members})


def _name(name: Any) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
