"""Acting as Discord's users: slash commands, autocomplete, buttons, modals, voice and plain messages.

Each action builds the exact INTERACTION_CREATE (or VOICE_STATE_UPDATE / MESSAGE_CREATE) Discord would
send, from what the bot registered (synced commands, recorded message components, recorded modals), and
refuses what a Discord client would not let a user do (unknown options, missing required ones, values
outside choices or limits, commands the user lacks permissions for, disabled buttons).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from . import payloads
from . import permissions as perms
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    InteractionRecord,
)
from .messages import LOADING
from .server import Emulator
from .state import TEXT, THREAD_TYPES, VOICE, StoredMessage
from .validation import EPHEMERAL

JSON = dict[str, Any]

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


class DriverError(Exception):
    """Something a Discord client would not let a user do, or a driver misuse."""


class InteractionHandle:
    """One interaction the driver sent, and everything the bot answered to it."""

    def __init__(self, emu: Emulator, record: InteractionRecord) -> None:
        self._emu = emu
        self.record = record

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE data as dispatched."""
        return self.record.payload

    @property
    def acknowledged(self) -> bool:
        return self.record.acknowledged

    @property
    def rejections(self) -> list[tuple[int, JSON]]:
        """Initial callbacks Discord refused: (status, body), e.g. (404, code 10062) when too late."""
        return list(self.record.rejected)

    async def response(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """The accepted initial callback: ``{"type": 4|5|6|7|8|9, "data": {...}}``."""
        try:
            await self._emu.wait_until(lambda: self.record.acknowledged, timeout, f"a response to {self.id}")
        except TimeoutError as error:
            if self.record.rejected:
                # The bot did answer, but Discord refused it: say why instead of a bare timeout.
                raise TimeoutError(f"{error}; refused callbacks: {self.record.rejected}") from None
            raise
        assert self.record.callback is not None
        return copy.deepcopy(self.record.callback)

    @property
    def modal(self) -> JSON | None:
        """The modal the bot opened (callback type 9), or None."""
        modal = self.record.modal
        return None if modal is None else copy.deepcopy(modal)

    @property
    def ephemeral(self) -> bool:
        """Whether the response is only visible to the user (flags & 64)."""
        record = self.record
        if record.callback is None:
            raise DriverError("the interaction has no response yet; await response() first")
        message = self._emu.world.messages.get(record.original_message_id or 0)
        if message is not None:
            return message.ephemeral
        return bool(int((record.callback.get("data") or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def message(self) -> JSON | None:
        """The original response message as it is now (None before a response, or for modals)."""
        stored = self._emu.world.messages.get(self.record.original_message_id or 0)
        return None if stored is None else copy.deepcopy(stored.payload)

    async def followup(self, n: int = 0, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """The ``n``-th followup message (0-based), as it is now. The first followup after a deferral
        replaces the "thinking…" message instead: read that one with ``final_message``."""
        await self._emu.wait_until(
            lambda: len(self.record.followup_ids) > n, timeout, f"followup #{n} of interaction {self.id}"
        )
        stored = self._emu.world.messages[self.record.followup_ids[n]]
        return copy.deepcopy(stored.payload)

    async def final_message(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """What the user finally sees: the callback's message, or the deferred message once delivered
        (``@original`` edit or first followup), or the component's message once updated."""
        await self.response(timeout)
        record = self.record
        if record.callback_type in (MODAL, AUTOCOMPLETE_RESULT):
            raise DriverError("this interaction was answered with a modal or choices, not a message")

        def delivered() -> StoredMessage | None:
            stored = self._emu.world.messages.get(record.original_message_id or 0)
            if stored is None:
                return None
            if record.callback_type == DEFERRED_CHANNEL_MESSAGE and stored.flags & LOADING:
                return None
            if record.callback_type == DEFERRED_UPDATE_MESSAGE and len(stored.edits) <= record.edits_at_callback:
                return None
            return stored

        stored: StoredMessage = await self._emu.wait_until(delivered, timeout, f"the final message of {self.id}")
        return copy.deepcopy(stored.payload)

    async def choices(self, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """The autocomplete choices the bot returned."""
        response = await self.response(timeout)
        if response["type"] != AUTOCOMPLETE_RESULT:
            raise DriverError(f"expected autocomplete choices, the bot answered type {response['type']}")
        return list((response.get("data") or {}).get("choices") or [])


class Driver:
    """Plays Discord's users against the bot through the emulator."""

    timeout = 5.0

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world
        self._invoker = emu.bot_user_id  # the user whose options are being resolved

    # application commands ---------------------------------------------------------------------------

    async def slash(
        self, guild_id: int, user_id: int, command: str, /, channel_id: int | None = None, **options: Any
    ) -> InteractionHandle:
        """Run ``/command`` (full name: "circle create") with typed options, as ``user_id`` in a channel
        (default: the guild's first text channel). User, channel and role options take ids."""
        channel = self._channel(guild_id, channel_id)
        data = self._command_data(guild_id, user_id, command, channel, options, focused=None)
        return await self._send(APPLICATION_COMMAND, guild_id, channel, user_id, data)

    async def autocomplete(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        /,
        focused: str,
        channel_id: int | None = None,
        **options: Any,
    ) -> list[JSON]:
        """Type into option ``focused`` (its text is ``options[focused]``, default "") and return the
        choices the bot offers."""
        channel = self._channel(guild_id, channel_id)
        options.setdefault(focused, "")
        data = self._command_data(guild_id, user_id, command, channel, options, focused=focused)
        handle = await self._send(AUTOCOMPLETE, guild_id, channel, user_id, data)
        return await handle.choices(self.timeout)

    def _channel(self, guild_id: int, channel_id: int | None) -> Any:
        guild = self.world.guild(guild_id)
        if channel_id is None:
            texts = [c for c in self.world.guild_channels(guild_id) if c.type == TEXT]
            if not texts:
                raise DriverError(f"guild {guild.name} has no text channel to run commands in")
            return texts[0]
        channel = self.world.channel(channel_id)
        if channel.guild_id != guild_id:
            raise DriverError(f"channel {channel_id} is not in guild {guild_id}")
        return channel

    def _find_command(self, guild_id: int, name: str) -> JSON:
        for records in (self.world.guild_commands.get(guild_id, {}), self.world.global_commands):
            for record in records.values():
                if record.definition["name"] == name and record.definition["type"] == 1:
                    return record.definition
        synced = sorted(
            {r.definition["name"] for r in self.world.global_commands.values()}
            | {r.definition["name"] for r in self.world.guild_commands.get(guild_id, {}).values()}
        )
        raise DriverError(f"no synced slash command /{name} for guild {guild_id}; synced: {synced}")

    def _command_data(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        channel: Any,
        options: Mapping[str, Any],
        *,
        focused: str | None,
    ) -> JSON:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise DriverError("empty command name")
        definition = self._find_command(guild_id, parts[0])
        self._check_allowed(guild_id, user_id, definition)
        self._invoker = user_id
        resolved: JSON = {}
        levels = parts[1:]
        option_defs: list[JSON] = definition.get("options") or []
        wrappers: list[tuple[str, int]] = []
        for level in levels:
            match = next((o for o in option_defs if o["name"] == level and o["type"] in (1, 2)), None)
            if match is None:
                subs = [o["name"] for o in option_defs if o["type"] in (1, 2)]
                raise DriverError(f"/{' '.join(parts)}: no subcommand {level!r} (have {subs})")
            wrappers.append((level, int(match["type"])))
            option_defs = match.get("options") or []
        if any(o["type"] in (1, 2) for o in option_defs):
            subs = [o["name"] for o in option_defs]
            raise DriverError(f"/{' '.join(parts)} needs a subcommand: one of {subs}")
        built = self._options(guild_id, channel, option_defs, dict(options), resolved, focused, command)
        for level, kind in reversed(wrappers):
            built = [{"name": level, "type": kind, "options": built}]
        data: JSON = {"id": definition["id"], "name": definition["name"], "type": 1, "options": built}
        if "guild_id" in definition:
            data["guild_id"] = definition["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _check_allowed(self, guild_id: int, user_id: int, definition: JSON) -> None:
        self.world.member(guild_id, user_id)
        contexts = definition.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise DriverError(f"/{definition['name']} cannot be used in servers (contexts={contexts})")
        required = definition.get("default_member_permissions")
        if required is None:
            return
        have = self.world.base_permissions(guild_id, user_id)
        needed = int(required)
        if needed == 0 and not have & perms.ADMINISTRATOR:
            raise DriverError(f"/{definition['name']} is disabled for everyone but administrators")
        if have & needed != needed:
            raise DriverError(
                f"Discord hides /{definition['name']} from this user: it needs permissions {needed} "
                "(default_member_permissions)"
            )

    def _options(
        self,
        guild_id: int,
        channel: Any,
        defs: list[JSON],
        given: dict[str, Any],
        resolved: JSON,
        focused: str | None,
        command: str,
    ) -> list[JSON]:
        by_name = {d["name"]: d for d in defs}
        unknown = sorted(set(given) - set(by_name))
        if unknown:
            raise DriverError(f"/{command}: unknown option(s) {unknown}; options are {sorted(by_name)}")
        if focused is None:
            missing = [d["name"] for d in defs if d.get("required") and given.get(d["name"]) is None]
            if missing:
                raise DriverError(f"/{command}: missing required option(s) {missing}")
        elif focused not in by_name:
            raise DriverError(f"/{command}: no option {focused!r} to autocomplete")
        elif not by_name[focused].get("autocomplete"):
            raise DriverError(f"/{command}: option {focused!r} does not autocomplete")
        result: list[JSON] = []
        for definition in defs:
            name = definition["name"]
            if name not in given or given[name] is None:
                continue
            value = given[name]
            kind = int(definition["type"])
            if name == focused:
                result.append({"name": name, "type": kind, "value": str(value), "focused": True})
                continue
            result.append(
                {
                    "name": name,
                    "type": kind,
                    "value": self._value(guild_id, channel, definition, value, resolved, command),
                }
            )
        return result

    def _value(self, guild_id: int, channel: Any, definition: JSON, value: Any, resolved: JSON, command: str) -> Any:
        kind = int(definition["type"])
        name = definition["name"]
        where = f"/{command} {name}"
        if kind == STRING:
            if not isinstance(value, str):
                raise DriverError(f"{where}: expected a string, got {value!r}")
            low, high = definition.get("min_length"), definition.get("max_length")
            if (low is not None and len(value) < low) or (high is not None and len(value) > high):
                raise DriverError(f"{where}: Discord only accepts {low}-{high} characters")
        elif kind == INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise DriverError(f"{where}: expected an integer, got {value!r}")
        elif kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DriverError(f"{where}: expected a number, got {value!r}")
        elif kind == BOOLEAN:
            if not isinstance(value, bool):
                raise DriverError(f"{where}: expected a boolean, got {value!r}")
        elif kind == USER:
            return self._resolve_user(guild_id, channel, int(value), resolved, where)
        elif kind == CHANNEL:
            return self._resolve_channel(guild_id, int(value), definition, resolved, where)
        elif kind == ROLE:
            return self._resolve_role(guild_id, int(value), resolved, where)
        elif kind == MENTIONABLE:
            if int(value) in self.world.guild(guild_id).roles:
                return self._resolve_role(guild_id, int(value), resolved, where)
            return self._resolve_user(guild_id, channel, int(value), resolved, where)
        elif kind == ATTACHMENT:
            raise DriverError(f"{where}: attachment options are not emulated")
        if kind in (INTEGER, NUMBER):
            low, high = definition.get("min_value"), definition.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise DriverError(f"{where}: Discord only accepts values in [{low}, {high}]")
        choices = definition.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise DriverError(f"{where}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
        return value

    def _resolve_user(self, guild_id: int, channel: Any, user_id: int, resolved: JSON, where: str) -> str:
        if user_id not in self.world.users:
            raise DriverError(f"{where}: no user {user_id}")
        resolved.setdefault("users", {})[str(user_id)] = payloads.user(self.world.users[user_id])
        member = self.world.guild(guild_id).members.get(user_id)
        if member is not None:
            data = payloads.member(self.world, member, with_user=False)
            data["permissions"] = str(self.world.channel_permissions(channel, user_id))
            resolved.setdefault("members", {})[str(user_id)] = data
        return str(user_id)

    def _resolve_channel(self, guild_id: int, channel_id: int, definition: JSON, resolved: JSON, where: str) -> str:
        channel = self.world.channels.get(channel_id)
        if channel is None or channel.guild_id != guild_id:
            raise DriverError(f"{where}: no channel {channel_id} in this guild")
        allowed = definition.get("channel_types")
        if allowed and channel.type not in allowed:
            raise DriverError(f"{where}: Discord only offers channel types {allowed}, not {channel.type}")
        data = payloads.channel(self.world, channel)
        # Resolved channels carry the invoking user's permissions in that channel.
        data["permissions"] = str(self.world.channel_permissions(channel, self._invoker))
        resolved.setdefault("channels", {})[str(channel_id)] = data
        return str(channel_id)

    def _resolve_role(self, guild_id: int, role_id: int, resolved: JSON, where: str) -> str:
        role = self.world.guild(guild_id).roles.get(role_id)
        if role is None:
            raise DriverError(f"{where}: no role {role_id} in this guild")
        resolved.setdefault("roles", {})[str(role_id)] = payloads.role(role)
        return str(role_id)

    # components and modals --------------------------------------------------------------------------

    async def click(
        self,
        guild_id: int,
        user_id: int,
        message: JSON | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Press the button (or pick ``values`` in the select menu) ``custom_id`` on a recorded message."""
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self.world.messages.get(message_id)
        if stored is None or stored.deleted:
            raise DriverError(f"message {message_id} does not exist (any more)")
        if stored.guild_id != guild_id:
            raise DriverError(f"message {message_id} is not in guild {guild_id}")
        if stored.ephemeral:
            owner = self.emu.interactions.by_id.get(stored.interaction_id or 0)
            if owner is None or owner.user_id != user_id:
                raise DriverError("only the user who got an ephemeral message can use its components")
        component = _find_component(stored.payload.get("components") or [], custom_id)
        if component is None:
            raise DriverError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise DriverError(f"component {custom_id!r} is disabled")
        kind = int(component["type"])
        data: JSON = {"custom_id": custom_id, "component_type": kind}
        if "id" in component:
            data["id"] = component["id"]
        channel = self.world.channel(stored.channel_id)
        if kind == 2:
            if component.get("style") in (5, 6):
                raise DriverError("link and premium buttons do not send interactions")
            if values is not None:
                raise DriverError("buttons take no values")
        elif kind in SELECT_TYPES:
            picked = list(values or [])
            low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
            if not low <= len(picked) <= high:
                raise DriverError(f"select {custom_id!r} takes {low}-{high} values")
            if kind == 3:
                offered = [o["value"] for o in component.get("options") or []]
                if any(v not in offered for v in picked):
                    raise DriverError(f"select {custom_id!r} offers {offered}")
            else:
                data["resolved"] = self._select_resolved(guild_id, channel, kind, picked, user_id)
            data["values"] = picked
        else:
            raise DriverError(f"component {custom_id!r} (type {kind}) is not interactive")
        return await self._send(MESSAGE_COMPONENT, guild_id, channel, user_id, data, message=stored)

    def _select_resolved(self, guild_id: int, channel: Any, kind: int, picked: list[str], user_id: int) -> JSON:
        resolved: JSON = {}
        self._invoker = user_id
        for value in picked:
            if kind == 5 or (kind == 7 and int(value) in self.world.users):
                self._resolve_user(guild_id, channel, int(value), resolved, "select")
            elif kind == 6 or kind == 7:
                self._resolve_role(guild_id, int(value), resolved, "select")
            else:
                self._resolve_channel(guild_id, int(value), {}, resolved, "select")
        return resolved

    async def submit_modal(
        self,
        guild_id: int,
        user_id: int,
        modal_custom_id: str,
        values: Mapping[str, str | list[str]],
        message: JSON | None = None,
    ) -> InteractionHandle:
        """Submit the modal the bot last opened for this user with ``custom_id``; ``values`` are keyed
        by text input custom_id (unset inputs keep their prefilled value)."""
        opener = next(
            (
                r
                for r in reversed(list(self.emu.interactions.by_id.values()))
                if r.user_id == user_id
                and r.guild_id == guild_id
                and r.modal is not None
                and r.modal.get("custom_id") == modal_custom_id
                and not r.modal_submitted
            ),
            None,
        )
        if opener is None or opener.modal is None:
            raise DriverError(f"no open modal {modal_custom_id!r} for user {user_id} in guild {guild_id}")
        modal = opener.modal
        remaining = dict(values)
        components = [_submitted(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise DriverError(f"modal {modal_custom_id!r} has no input(s) {sorted(remaining)}")
        opener.modal_submitted = True
        stored: StoredMessage | None = None
        if message is not None:
            stored = self.world.messages.get(int(message["id"]))
        elif opener.source_message_id is not None:
            stored = self.world.messages.get(opener.source_message_id)
        channel = self.world.channel(opener.channel_id)
        data = {"custom_id": modal_custom_id, "components": [c for c in components if c is not None]}
        return await self._send(MODAL_SUBMIT, guild_id, channel, user_id, data, message=stored)

    async def _send(
        self,
        kind: int,
        guild_id: int,
        channel: Any,
        user_id: int,
        data: JSON,
        message: StoredMessage | None = None,
    ) -> InteractionHandle:
        if channel.guild_id is not None and not self.world.channel_permissions(channel, user_id) & perms.VIEW_CHANNEL:
            # As on Discord: nobody interacts in a channel they cannot see (a private thread they are not in).
            raise DriverError(f"user {user_id} cannot see channel {channel.id}")
        try:
            record = self.emu.interactions.create(
                kind=kind,
                guild_id=guild_id,
                channel_id=channel.id,
                user_id=user_id,
                data=data,
                message=message,
            )
        except RuntimeError as error:
            raise DriverError(str(error)) from None
        await self.emu.flush()
        return InteractionHandle(self.emu, record)

    # voice ------------------------------------------------------------------------------------------

    async def voice_join(
        self, guild_id: int, user_id: int, channel_id: int, self_deaf: bool = False, self_mute: bool = False
    ) -> None:
        if self.emu.voice_channel_of(guild_id, user_id) is not None:
            raise DriverError("the member is already in voice; use voice_move")
        self._voice(guild_id, user_id, channel_id, self_deaf, self_mute)
        await self.emu.flush()

    async def voice_move(
        self, guild_id: int, user_id: int, channel_id: int, self_deaf: bool = False, self_mute: bool = False
    ) -> None:
        current = self.emu.voice_channel_of(guild_id, user_id)
        if current is None:
            raise DriverError("the member is not in voice; use voice_join")
        if current == channel_id:
            raise DriverError("the member is already in that channel; use voice_flags to deafen or mute")
        self._voice(guild_id, user_id, channel_id, self_deaf, self_mute)
        await self.emu.flush()

    async def voice_flags(
        self, guild_id: int, user_id: int, *, self_deaf: bool | None = None, self_mute: bool | None = None
    ) -> None:
        """Self-deafen/mute (or undo it) where the member sits: Discord sends a VOICE_STATE_UPDATE with the
        same channel."""
        channel_id = self.emu.voice_channel_of(guild_id, user_id)
        if channel_id is None:
            raise DriverError("the member is not in voice")
        if self_deaf is None and self_mute is None:
            raise DriverError("voice_flags needs self_deaf or self_mute")
        state = self.world.guild(guild_id).voice_states[user_id]
        deaf = state.self_deaf if self_deaf is None else self_deaf
        mute = state.self_mute if self_mute is None else self_mute
        self._voice(guild_id, user_id, channel_id, deaf, mute)
        await self.emu.flush()

    async def voice_leave(self, guild_id: int, user_id: int) -> None:
        if self.emu.voice_channel_of(guild_id, user_id) is None:
            raise DriverError("the member is not in voice")
        self.emu.set_voice_state(guild_id, user_id, None)
        await self.emu.flush()

    def _voice(self, guild_id: int, user_id: int, channel_id: int, self_deaf: bool, self_mute: bool) -> None:
        channel = self.world.channel(channel_id)
        if channel.guild_id != guild_id or channel.type != VOICE:
            raise DriverError(f"channel {channel_id} is not a voice channel of guild {guild_id}")
        self.emu.set_voice_state(guild_id, user_id, channel_id, self_deaf=self_deaf, self_mute=self_mute)

    # plain messages ---------------------------------------------------------------------------------

    async def say(self, user_id: int, channel_id: int, content: str) -> JSON:
        """A user posts ``content`` in a channel or thread (MESSAGE_CREATE, intent-filtered)."""
        channel = self.world.channel(channel_id)
        if channel.guild_id is not None:
            needed = perms.SEND_MESSAGES_IN_THREADS if channel.type in THREAD_TYPES else perms.SEND_MESSAGES
            if not self.world.channel_permissions(channel, user_id) & needed:
                raise DriverError(f"user {user_id} cannot send messages in {channel.name}")
        stored = self.emu.store.create(channel, user_id, {"content": content}, [])
        await self.emu.flush()
        return copy.deepcopy(stored.payload)


def _find_component(components: list[JSON], custom_id: str) -> JSON | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components", "items"):
            found = _find_component(component.get(key) or [], custom_id)
            if found is not None:
                return found
        for key in ("accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                found = _find_component([inner], custom_id)
                if found is not None:
                    return found
    return None


def _submitted(component: JSON, values: dict[str, str | list[str]]) -> JSON | None:
    """The submitted form of one modal component, consuming its value from ``values``."""
    kind = component.get("type")
    if kind == 1:
        inner = [_submitted(c, values) for c in component.get("components") or []]
        return {"type": 1, "components": [c for c in inner if c is not None]}
    if kind == 18:
        inner_component = _submitted(component.get("component") or {}, values)
        return None if inner_component is None else {"type": 18, "component": inner_component}
    if kind == 4:
        custom_id = component["custom_id"]
        raw = values.pop(custom_id, component.get("value") or "")
        if not isinstance(raw, str):
            raise DriverError(f"text input {custom_id!r} takes a string")
        if component.get("required", True) and not raw:
            raise DriverError(f"text input {custom_id!r} is required")
        low, high = component.get("min_length"), component.get("max_length")
        if raw and ((low is not None and len(raw) < low) or (high is not None and len(raw) > high)):
            raise DriverError(f"text input {custom_id!r} takes {low}-{high} characters")
        return {"type": 4, "custom_id": custom_id, "value": raw}
    if kind in SELECT_TYPES:
        custom_id = component["custom_id"]
        picked = values.pop(custom_id, [])
        chosen = [picked] if isinstance(picked, str) else list(picked)
        return {"type": kind, "custom_id": custom_id, "values": chosen}
    return None
