"""Creating, editing and deleting messages: attachments, pings, thread counters and gateway events.

Shared by channel messages (``POST /channels/{id}/messages``) and interaction messages (callbacks,
followups, ``@original`` edits), which differ only in author, flags and permission checks.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from . import intents as gi
from . import payloads
from . import permissions as perms
from .errors import ApiError, invalid_form
from .mentions import NO_PINGS, MentionContext, Pings, compute_pings
from .routing import UploadedFile
from .state import Channel, StoredMessage, utcnow_iso
from .validation import EPHEMERAL, SUPPRESS_EMBEDS, check_message

if TYPE_CHECKING:
    from .gateway import GatewaySession
    from .server import Emulator

JSON = dict[str, Any]

LOADING = 1 << 7
HAS_THREAD = 1 << 5
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20
CONTEXT_MENU_COMMAND = 23

_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


class MessageStore:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    # creation ---------------------------------------------------------------------------------------

    def create(
        self,
        channel: Channel,
        author_id: int,
        body: JSON,
        files: list[UploadedFile],
        *,
        ephemeral: bool = False,
        loading: bool = False,
        message_type: int | None = None,
        interaction_id: int | None = None,
        extra: JSON | None = None,
    ) -> StoredMessage:
        check_message(body, has_files=bool(files), creating=not loading)
        message_id = self.world.ids.next()
        reference = self._reference(channel, body.get("message_reference"))
        flags = int(body.get("flags") or 0) & ~LOADING
        if ephemeral:
            flags |= EPHEMERAL
        if loading:
            flags |= LOADING
        embeds = [self._embed(e) for e in body.get("embeds") or []]
        if embeds and not self._may_embed(channel, author_id, interaction_id):
            # Discord drops embeds silently when the bot lacks Embed Links; count it so tests can see.
            self.emu.stats["embeds_dropped_without_embed_links"] += 1
            embeds = []
        payload: JSON = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": payloads.user(self.world.user(author_id)),
            "content": body.get("content") or "",
            "timestamp": utcnow_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel.id, body, files, existing=[], ephemeral=ephemeral),
            "embeds": embeds,
            "pinned": False,
            "type": message_type if message_type is not None else (REPLY if reference else DEFAULT),
            "flags": flags,
            "components": copy.deepcopy(body.get("components") or []),
        }
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]
        if body.get("poll") is not None:
            payload["poll"] = copy.deepcopy(body["poll"])
        if reference is not None:
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(reference.id),
                "channel_id": str(reference.channel_id),
                **({"guild_id": str(reference.guild_id)} if reference.guild_id else {}),
            }
            payload["referenced_message"] = copy.deepcopy(reference.payload)
        if channel.is_thread:
            payload["position"] = channel.total_message_sent
        if extra:
            payload.update(extra)
        stored = StoredMessage(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author_id,
            payload=payload,
            allowed_mentions=copy.deepcopy(body.get("allowed_mentions")),
            pings=None,
            ephemeral=ephemeral,
            interaction_id=interaction_id,
        )
        self.world.messages[message_id] = stored
        if not loading:
            self._settle_pings(stored, reference.author_id if reference else None)
        if not ephemeral:
            self.world.channel_message_ids(channel.id).append(message_id)
            channel.last_message_id = message_id
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
            self.dispatch("MESSAGE_CREATE", stored)
        return stored

    def _reference(self, channel: Channel, reference: Any) -> StoredMessage | None:
        if not reference:
            return None
        message_id = int(reference.get("message_id", 0))
        target = self.world.messages.get(message_id)
        if target is None or target.deleted or target.ephemeral:
            if reference.get("fail_if_not_exists", True):
                raise invalid_form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            return None
        return target

    def _embed(self, embed: JSON) -> JSON:
        data = copy.deepcopy(embed)
        data.setdefault("type", "rich")
        data.setdefault("content_scan_version", 0)
        return data

    def _may_embed(self, channel: Channel, author_id: int, interaction_id: int | None) -> bool:
        if interaction_id is not None or channel.guild_id is None:
            return True  # interaction responses are webhooks: channel permissions do not apply
        return bool(self.world.channel_permissions(channel, author_id) & perms.EMBED_LINKS)

    def _attachments(
        self, channel_id: int, body: JSON, files: list[UploadedFile], *, existing: list[JSON], ephemeral: bool
    ) -> list[JSON]:
        uploads: dict[int, UploadedFile] = {}
        for upload in files:
            found = _FILE_FIELD.match(upload.field)
            index = int(found.group(1)) if found else len(uploads)
            if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
                raise ApiError(413, 40005, "Request entity too large")
            uploads[index] = upload
        listed = body.get("attachments")
        result: list[JSON] = []
        used: set[int] = set()
        if listed is None:
            result = copy.deepcopy(existing)
        else:
            kept = {a["id"]: a for a in existing}
            for position, entry in enumerate(listed):
                key = str(entry.get("id"))
                if key in kept:
                    result.append(copy.deepcopy(kept[key]))
                elif key.isdigit() and int(key) in uploads:
                    used.add(int(key))
                    result.append(self._new_attachment(channel_id, uploads[int(key)], entry, ephemeral))
                else:
                    raise invalid_form(f"attachments.{position}.id", "ATTACHMENT_NOT_FOUND", "Unknown attachment")
        for index in sorted(set(uploads) - used):
            result.append(self._new_attachment(channel_id, uploads[index], {}, ephemeral))
        return result

    def _new_attachment(self, channel_id: int, upload: UploadedFile, entry: JSON, ephemeral: bool) -> JSON:
        attachment_id = self.world.ids.next()
        filename = str(entry.get("filename") or upload.filename)
        self.world.attachments[attachment_id] = upload.data
        url = f"{self.emu.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        data: JSON = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": _content_type(filename, upload.content_type),
        }
        if entry.get("description"):
            data["description"] = entry["description"]
        if ephemeral:
            data["ephemeral"] = True
        return data

    # pings ------------------------------------------------------------------------------------------

    def _settle_pings(self, stored: StoredMessage, replied_user_id: int | None) -> None:
        """Compute who the message notified; this happens once, when the content is first delivered."""
        if stored.ephemeral:
            stored.pings = NO_PINGS
        else:
            stored.pings = compute_pings(
                stored.payload.get("content") or "",
                stored.allowed_mentions,
                self._context(stored, replied_user_id),
            )
        pings = stored.pings
        stored.payload["mentions"] = [payloads.user(self.world.users[u]) for u in sorted(pings.users)]
        stored.payload["mention_roles"] = [str(r) for r in sorted(pings.roles)]
        stored.payload["mention_everyone"] = pings.everyone

    def _context(self, stored: StoredMessage, replied_user_id: int | None) -> MentionContext:
        guild_id = stored.guild_id
        if guild_id is None:
            return MentionContext(
                author_id=stored.author_id,
                author_can_mention_everyone=False,
                guild_member_ids=None,
                mentionable_role_ids=(),
                guild_role_ids=(),
                replied_user_id=replied_user_id,
            )
        guild = self.world.guild(guild_id)
        channel = self.world.channel(stored.channel_id)
        author_perms = self.world.channel_permissions(channel, stored.author_id)
        return MentionContext(
            author_id=stored.author_id,
            author_can_mention_everyone=bool(author_perms & perms.MENTION_EVERYONE),
            guild_member_ids=set(guild.members),
            mentionable_role_ids={r.id for r in guild.roles.values() if r.mentionable},
            guild_role_ids=set(guild.roles) - {guild_id},
            replied_user_id=replied_user_id,
        )

    def pings_of(self, stored: StoredMessage) -> Pings:
        return stored.pings if stored.pings is not None else NO_PINGS

    # edits and deletes ------------------------------------------------------------------------------

    def edit(self, stored: StoredMessage, body: JSON, files: list[UploadedFile]) -> StoredMessage:
        check_message(body, has_files=bool(files), creating=False)
        payload = stored.payload
        first_delivery = bool(stored.flags & LOADING)
        stored.edits.append(copy.deepcopy(body))
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = [self._embed(e) for e in body["embeds"] or []]
        if "components" in body:
            payload["components"] = copy.deepcopy(body["components"] or [])
        if "allowed_mentions" in body:
            stored.allowed_mentions = copy.deepcopy(body["allowed_mentions"])
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS can be toggled on an existing message.
            wanted = int(body["flags"]) & SUPPRESS_EMBEDS
            payload["flags"] = (stored.flags & ~SUPPRESS_EMBEDS) | wanted
        if "attachments" in body or files:
            payload["attachments"] = self._attachments(
                stored.channel_id, body, files, existing=payload["attachments"], ephemeral=stored.ephemeral
            )
        if not (payload["content"] or payload["embeds"] or payload["attachments"] or payload["components"]):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if first_delivery:
            # A deferred response's first edit is its real delivery: it notifies, and is not "edited".
            payload["flags"] = stored.flags & ~LOADING
            reference = payload.get("message_reference")
            replied = self.world.messages.get(int(reference["message_id"])) if reference else None
            self._settle_pings(stored, replied.author_id if replied else None)
        else:
            payload["edited_timestamp"] = utcnow_iso()
        if not stored.ephemeral:
            self.dispatch("MESSAGE_UPDATE", stored)
        return stored

    def delete(self, stored: StoredMessage) -> None:
        stored.deleted = True
        ids = self.world.channel_message_ids(stored.channel_id)
        if stored.id in ids:
            ids.remove(stored.id)
        if not stored.ephemeral:
            data: JSON = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
            if stored.guild_id is not None:
                data["guild_id"] = str(stored.guild_id)
            intent = gi.GUILD_MESSAGES if stored.guild_id is not None else gi.DIRECT_MESSAGES
            self.emu.gateway.dispatch(
                "MESSAGE_DELETE",
                lambda s: data if s.has(intent) else None,
                guild_id=stored.guild_id,
            )

    # gateway ----------------------------------------------------------------------------------------

    def dispatch(self, event: str, stored: StoredMessage) -> None:
        snapshot = copy.deepcopy(stored.payload)
        if stored.guild_id is not None:
            snapshot["guild_id"] = str(stored.guild_id)
            member = self.world.guilds[stored.guild_id].members.get(stored.author_id)
            if member is not None:
                snapshot["member"] = payloads.member(self.world, member, with_user=False)
        intent = gi.GUILD_MESSAGES if stored.guild_id is not None else gi.DIRECT_MESSAGES
        bot_id = self.emu.bot_user_id

        def for_session(session: GatewaySession) -> JSON | None:
            if not session.has(intent):
                return None
            mentioned = any(int(u["id"]) == bot_id for u in snapshot["mentions"])
            if session.has(gi.MESSAGE_CONTENT) or stored.author_id == bot_id or mentioned or stored.guild_id is None:
                return snapshot
            # Without the MESSAGE_CONTENT intent Discord blanks what the message says.
            blank = dict(snapshot, content="", embeds=[], attachments=[], components=[])
            blank.pop("poll", None)
            return blank

        self.emu.gateway.dispatch(event, for_session, guild_id=stored.guild_id)


def _content_type(filename: str, sent: str) -> str:
    guesses = {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".csv": "text/csv; charset=utf-8",
        ".json": "application/json; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }
    for suffix, kind in guesses.items():
        if filename.lower().endswith(suffix):
            return kind
    return sent or "application/octet-stream"
