"""Interactions: what the emulator dispatches, and the callback/webhook rules Discord enforces.

- an initial callback must arrive within 3 seconds of the interaction (404 10062 after that), and only
  once (400 40060 for a second one);
- the interaction token then works for 15 minutes for followups and ``@original`` (401 50027 after);
- followups need an acknowledged interaction (404 10015 before);
- after a deferral (type 5), the first ``@original`` edit *or* the first followup delivers the loading
  message, as on Discord.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import UNKNOWN_INTERACTION, UNKNOWN_MESSAGE, UNKNOWN_WEBHOOK, ApiError, invalid_form, unknown
from .messages import ATTACHMENT_SIZE_LIMIT, LOADING
from .routing import RestRequest, RestResponse
from .state import StoredMessage
from .validation import EPHEMERAL, check_choices, check_modal

if TYPE_CHECKING:
    from .server import Emulator

JSON = dict[str, Any]

PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    PING: frozenset({PONG}),
    APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL}),
    MESSAGE_COMPONENT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset({CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE}),
}

INITIAL_RESPONSE_SECONDS = 3.0
TOKEN_LIFETIME_SECONDS = 15 * 60.0


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: JSON
    created: float
    source_message_id: int | None = None
    callback: JSON | None = None
    callback_at: float | None = None
    rejected: list[tuple[int, JSON]] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    # For update-type callbacks: how many edits the message had before, to tell when it changed.
    edits_at_callback: int = 0
    modal_submitted: bool = False

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else int(self.callback["type"])

    @property
    def modal(self) -> JSON | None:
        if self.callback is not None and self.callback["type"] == MODAL:
            data: JSON = self.callback.get("data") or {}
            return data
        return None


class Interactions:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.by_id: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    # creation (used by the driver) ------------------------------------------------------------------

    def create(
        self,
        *,
        kind: int,
        guild_id: int,
        channel_id: int,
        user_id: int,
        data: JSON,
        message: StoredMessage | None = None,
    ) -> InteractionRecord:
        world = self.emu.world
        guild = world.guild(guild_id)
        channel = world.channel(channel_id)
        member = world.member(guild_id, user_id)
        interaction_id = world.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        user_perms = world.channel_permissions(channel, user_id)
        app_perms = world.channel_permissions(channel, self.emu.bot_user_id)
        member_payload = payloads.member(world, member)
        member_payload["permissions"] = str(user_perms)
        channel_payload = payloads.channel(world, channel)
        channel_payload["permissions"] = str(user_perms)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.emu.application_id),
            "type": kind,
            "data": data,
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "guild_id": str(guild.id),
            "channel": channel_payload,
            "channel_id": str(channel.id),
            "member": member_payload,
            "token": token,
            "version": 1,
            "app_permissions": str(app_perms),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message.payload)
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=kind,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            payload=payload,
            created=self.emu.clock(),
            source_message_id=message.id if message is not None else None,
        )
        sessions = self.emu.gateway.sessions_for_guild(guild_id)
        if not sessions:
            raise RuntimeError(
                f"no bot session for the shard of guild {guild_id}: the interaction would fail on Discord"
            )
        self.by_id[record.id] = record
        self.by_token[record.token] = record
        self.emu.stats["interactions"] += 1
        self.emu.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id, sessions=sessions[-1:])
        return record

    # callbacks ---------------------------------------------------------------------------------------

    async def callback(self, request: RestRequest) -> RestResponse:
        record = self.by_id.get(request.snowflake("interaction_id"))
        if record is None or record.token != request.params["token"]:
            raise unknown("interaction", UNKNOWN_INTERACTION)
        body = request.body()
        kind = body.get("type")
        try:
            if not isinstance(kind, int) or kind not in ALLOWED_CALLBACKS.get(record.type, frozenset()):
                raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of the allowed response types.")
            if record.acknowledged:
                raise ApiError(400, 40060, "Interaction has already been acknowledged.")
            if self.emu.clock() - record.created > INITIAL_RESPONSE_SECONDS:
                self.emu.stats["interaction_expired"] += 1
                raise unknown("interaction", UNKNOWN_INTERACTION)
            message = self._apply_callback(record, kind, body.get("data") or {}, request)
        except ApiError as error:
            record.rejected.append((error.status, error.body()))
            raise
        record.callback = {"type": kind, "data": copy.deepcopy(body.get("data") or {})}
        record.callback_at = self.emu.clock()
        self.emu.notify()
        if not request.flag("with_response"):
            return RestResponse(204)
        return RestResponse(200, self._callback_response(record, kind, message))

    def _apply_callback(
        self, record: InteractionRecord, kind: int, data: JSON, request: RestRequest
    ) -> StoredMessage | None:
        world = self.emu.world
        channel = world.channel(record.channel_id)
        if kind == CHANNEL_MESSAGE:
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            message = self.emu.store.create(
                channel,
                self.emu.bot_user_id,
                data,
                request.files,
                ephemeral=ephemeral,
                message_type=self._message_type(record),
                interaction_id=record.id,
                extra=self._interaction_fields(record),
            )
            record.original_message_id = message.id
            return message
        if kind == DEFERRED_CHANNEL_MESSAGE:
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            message = self.emu.store.create(
                channel,
                self.emu.bot_user_id,
                {},
                [],
                ephemeral=ephemeral,
                loading=True,
                message_type=self._message_type(record),
                interaction_id=record.id,
                extra=self._interaction_fields(record),
            )
            record.original_message_id = message.id
            return message
        if kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            source = world.messages.get(record.source_message_id or 0)
            if source is None or source.deleted:
                raise invalid_form("type", "INTERACTION_NO_MESSAGE", "This interaction has no message to update.")
            record.original_message_id = source.id
            record.edits_at_callback = len(source.edits)
            if kind == UPDATE_MESSAGE:
                self.emu.store.edit(source, data, request.files)
            return source
        if kind == AUTOCOMPLETE_RESULT:
            check_choices(data)
            return None
        if kind == MODAL:
            check_modal(data)
            return None
        return None

    def _message_type(self, record: InteractionRecord) -> int:
        if record.type == APPLICATION_COMMAND:
            return 20 if int(record.payload["data"].get("type", 1)) == 1 else 23
        return 0

    def _interaction_fields(self, record: InteractionRecord) -> JSON:
        user = payloads.user(self.emu.world.user(record.user_id))
        metadata: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
        }
        if record.type == APPLICATION_COMMAND:
            metadata["name"] = record.payload["data"]["name"]
            metadata["command_type"] = record.payload["data"].get("type", 1)
        if record.source_message_id is not None:
            metadata["interacted_message_id"] = str(record.source_message_id)
        fields: JSON = {
            "webhook_id": str(self.emu.application_id),
            "application_id": str(self.emu.application_id),
            "interaction_metadata": metadata,
        }
        if record.type == APPLICATION_COMMAND:
            fields["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": record.payload["data"]["name"],
                "user": user,
            }
        return fields

    def _callback_response(self, record: InteractionRecord, kind: int, message: StoredMessage | None) -> JSON:
        interaction: JSON = {"id": str(record.id), "type": record.type}
        resource: JSON = {"type": kind}
        if message is not None and kind != DEFERRED_UPDATE_MESSAGE:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = kind == DEFERRED_CHANNEL_MESSAGE
            interaction["response_message_ephemeral"] = message.ephemeral
            resource["message"] = copy.deepcopy(message.payload)
        return {"interaction": interaction, "resource": resource}

    # webhooks: followups and @original --------------------------------------------------------------

    def _record_for_webhook(self, request: RestRequest) -> InteractionRecord:
        if request.params["application_id"] != str(self.emu.application_id):
            raise unknown("Webhook", UNKNOWN_WEBHOOK)
        record = self.by_token.get(request.params["token"])
        if record is None:
            raise unknown("Webhook", UNKNOWN_WEBHOOK)
        if self.emu.clock() - record.created > TOKEN_LIFETIME_SECONDS:
            self.emu.stats["interaction_token_expired"] += 1
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return record

    def _message_of(self, record: InteractionRecord, message_ref: str) -> StoredMessage:
        if message_ref == "@original":
            message_id = record.original_message_id
        else:
            message_id = int(message_ref) if message_ref.isdigit() else None
            if message_id not in record.followup_ids and message_id != record.original_message_id:
                message_id = None
        stored = self.emu.world.messages.get(message_id or 0)
        if stored is None or stored.deleted:
            raise unknown("Message", UNKNOWN_MESSAGE)
        return stored

    async def followup(self, request: RestRequest) -> RestResponse:
        record = self._record_for_webhook(request)
        if not record.acknowledged:
            raise unknown("Webhook", UNKNOWN_WEBHOOK)
        body = request.body()
        original = self.emu.world.messages.get(record.original_message_id or 0)
        if record.callback_type == DEFERRED_CHANNEL_MESSAGE and original is not None and original.flags & LOADING:
            # Discord: the first followup after a deferral replaces the "thinking…" message.
            message = self.emu.store.edit(original, body, request.files)
        else:
            channel = self.emu.world.channel(record.channel_id)
            ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
            message = self.emu.store.create(
                channel,
                self.emu.bot_user_id,
                body,
                request.files,
                ephemeral=ephemeral,
                message_type=self._message_type(record),
                interaction_id=record.id,
                extra=self._interaction_fields(record),
            )
            record.followup_ids.append(message.id)
        self.emu.notify()
        if not request.flag("wait"):
            return RestResponse(204)
        return RestResponse(200, copy.deepcopy(message.payload))

    async def get_message(self, request: RestRequest) -> RestResponse:
        record = self._record_for_webhook(request)
        stored = self._message_of(record, request.params["message_id"])
        return RestResponse(200, copy.deepcopy(stored.payload))

    async def edit_message(self, request: RestRequest) -> RestResponse:
        record = self._record_for_webhook(request)
        stored = self._message_of(record, request.params["message_id"])
        self.emu.store.edit(stored, request.body(), request.files)
        self.emu.notify()
        return RestResponse(200, copy.deepcopy(stored.payload))

    async def delete_message(self, request: RestRequest) -> RestResponse:
        record = self._record_for_webhook(request)
        stored = self._message_of(record, request.params["message_id"])
        self.emu.store.delete(stored)
        self.emu.notify()
        return RestResponse(204)
