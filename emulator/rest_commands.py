"""REST: application commands, global and per guild, with ids Discord keeps across overwrites."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .errors import UNKNOWN_APPLICATION_COMMAND, ApiError, invalid_form, missing_access, unknown
from .routing import RestRequest, RestResponse, Router
from .state import CommandRecord
from .validation import check_command

if TYPE_CHECKING:
    from .server import Emulator

JSON = dict[str, Any]

MAX_CHAT_INPUT = 100
MAX_CONTEXT_MENU = 15


class CommandRoutes:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    def register(self, router: Router) -> None:
        base = "/applications/{application_id}"
        for prefix in (f"{base}/commands", f"{base}/guilds/{{guild_id}}/commands"):
            router.add("GET", prefix, self.list_commands)
            router.add("PUT", prefix, self.overwrite)
            router.add("POST", prefix, self.upsert)
            router.add("GET", prefix + "/{command_id}", self.get_command)
            router.add("PATCH", prefix + "/{command_id}", self.edit_command)
            router.add("DELETE", prefix + "/{command_id}", self.delete_command)
        router.add("GET", f"{base}/guilds/{{guild_id}}/commands/permissions", self.permissions)
        router.add("GET", f"{base}/guilds/{{guild_id}}/commands/{{command_id}}/permissions", self.permissions)

    def _scope(self, request: RestRequest) -> tuple[int | None, dict[int, CommandRecord]]:
        if request.params["application_id"] != str(self.emu.application_id):
            raise ApiError(403, 20012, "You are not authorized to perform this action on this application")
        if "guild_id" not in request.params:
            return None, self.world.global_commands
        guild = self.world.guild(request.snowflake("guild_id"))
        if self.emu.bot_user_id not in guild.members:
            raise missing_access()
        return guild.id, self.world.guild_commands.setdefault(guild.id, {})

    def _definition(self, record: CommandRecord, body: JSON) -> JSON:
        kind = int(body.get("type", 1))
        permissions = body.get("default_member_permissions")
        data: JSON = {
            "id": str(record.id),
            "application_id": str(self.emu.application_id),
            "version": str(record.version),
            "default_member_permissions": None if permissions is None else str(permissions),
            "type": kind,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            data["options"] = copy.deepcopy(body["options"])
        if record.guild_id is not None:
            data["guild_id"] = str(record.guild_id)
        return data

    def _store(self, guild_id: int | None, records: dict[int, CommandRecord], body: JSON) -> tuple[CommandRecord, bool]:
        kind = int(body.get("type", 1))
        existing = next(
            (r for r in records.values() if r.definition["name"] == body["name"] and r.definition["type"] == kind),
            None,
        )
        if existing is None:
            record = CommandRecord(id=self.world.ids.next(), guild_id=guild_id, definition={}, version=0)
            records[record.id] = record
            created = True
        else:
            record = existing
            created = False
        # Discord keeps a command's id across overwrites and bumps its version only when it changed.
        candidate = self._definition(record, body)
        if created or _comparable(candidate) != _comparable(record.definition):
            record.version = self.world.ids.next()
            candidate["version"] = str(record.version)
            record.definition = candidate
        return record, created

    async def list_commands(self, request: RestRequest) -> RestResponse:
        _, records = self._scope(request)
        return RestResponse(200, [copy.deepcopy(r.definition) for r in records.values()])

    async def overwrite(self, request: RestRequest) -> RestResponse:
        guild_id, records = self._scope(request)
        if not isinstance(request.json, list):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        names: set[tuple[str, int]] = set()
        counts = {1: 0, 2: 0, 3: 0}
        for index, command in enumerate(request.json):
            check_command(command, str(index))
            key = (command["name"], int(command.get("type", 1)))
            if key in names:
                raise invalid_form(
                    f"{index}.name",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            names.add(key)
            counts[key[1]] = counts.get(key[1], 0) + 1
        if counts[1] > MAX_CHAT_INPUT or counts[2] > MAX_CONTEXT_MENU or counts[3] > MAX_CONTEXT_MENU:
            raise ApiError(400, 30032, "Maximum number of application commands reached")
        kept: dict[int, CommandRecord] = {}
        for command in request.json:
            record, _ = self._store(guild_id, records, command)
            kept[record.id] = record
        records.clear()
        records.update(kept)
        self.emu.stats["command_sync"] += 1
        self.emu.notify()
        return RestResponse(200, [copy.deepcopy(r.definition) for r in records.values()])

    async def upsert(self, request: RestRequest) -> RestResponse:
        guild_id, records = self._scope(request)
        body = request.body()
        check_command(body, "")
        record, created = self._store(guild_id, records, body)
        self.emu.notify()
        return RestResponse(201 if created else 200, copy.deepcopy(record.definition))

    def _record(self, request: RestRequest, records: dict[int, CommandRecord]) -> CommandRecord:
        record = records.get(request.snowflake("command_id"))
        if record is None:
            raise unknown("application command", UNKNOWN_APPLICATION_COMMAND)
        return record

    async def get_command(self, request: RestRequest) -> RestResponse:
        _, records = self._scope(request)
        return RestResponse(200, copy.deepcopy(self._record(request, records).definition))

    async def edit_command(self, request: RestRequest) -> RestResponse:
        _, records = self._scope(request)
        record = self._record(request, records)
        merged = dict(record.definition)
        merged.update(request.body())
        check_command(merged, "")
        candidate = self._definition(record, merged)
        record.version = self.world.ids.next()
        candidate["version"] = str(record.version)
        record.definition = candidate
        self.emu.notify()
        return RestResponse(200, copy.deepcopy(record.definition))

    async def delete_command(self, request: RestRequest) -> RestResponse:
        _, records = self._scope(request)
        record = self._record(request, records)
        del records[record.id]
        self.emu.notify()
        return RestResponse(204)

    async def permissions(self, request: RestRequest) -> RestResponse:
        self._scope(request)
        if "command_id" in request.params:
            raise unknown("application command permissions", 10066)
        return RestResponse(200, [])


def _comparable(definition: JSON) -> JSON:
    return {k: v for k, v in definition.items() if k not in ("id", "version")}
