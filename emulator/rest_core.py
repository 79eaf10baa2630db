"""REST: login, gateway discovery, users, guilds, members and role grants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads
from . import permissions as perms
from .errors import ApiError, invalid_form, missing_access, missing_permissions, unknown
from .routing import RestRequest, RestResponse, Router
from .state import DM, Channel, Member

if TYPE_CHECKING:
    from .server import Emulator

JSON = dict[str, Any]


class CoreRoutes:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    def register(self, router: Router) -> None:
        add = router.add
        add("GET", "/users/@me", self.me)
        add("GET", "/users/@me/guilds", self.my_guilds)
        add("POST", "/users/@me/channels", self.open_dm)
        add("GET", "/users/{user_id}", self.get_user)
        add("GET", "/oauth2/applications/@me", self.application)
        add("GET", "/applications/@me", self.application)
        add("GET", "/gateway", self.gateway, bot_auth=False)
        add("GET", "/gateway/bot", self.gateway_bot)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        add("GET", "/guilds/{guild_id}/members", self.list_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member)
        add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_role)
        add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_role)
        add("GET", "/guilds/{guild_id}/voice-states/{user_id}", self.voice_state)

    # login and discovery ----------------------------------------------------------------------------

    async def me(self, request: RestRequest) -> RestResponse:
        return RestResponse(200, self.emu.client_user_payload())

    async def application(self, request: RestRequest) -> RestResponse:
        bot = self.world.user(self.emu.bot_user_id)
        owner = self.world.user(self.emu.owner_user_id)
        return RestResponse(
            200,
            {
                "id": str(self.emu.application_id),
                "name": bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": self.emu.application_flags,
                "owner": payloads.user(owner),
                "team": None,
                "bot": payloads.user(bot),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "install_params": {
                    "scopes": ["bot", "applications.commands"],
                    "permissions": str(perms.DEFAULT_BOT),
                },
                "integration_types_config": {"0": {}},
                "approximate_guild_count": len(self.world.guilds),
                "tags": [],
            },
        )

    async def gateway(self, request: RestRequest) -> RestResponse:
        return RestResponse(200, {"url": self.emu.gateway_url})

    async def gateway_bot(self, request: RestRequest) -> RestResponse:
        return RestResponse(
            200,
            {
                "url": self.emu.gateway_url,
                "shards": self.emu.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": max(0, self.emu.session_starts_remaining),
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    # users ------------------------------------------------------------------------------------------

    async def get_user(self, request: RestRequest) -> RestResponse:
        return RestResponse(200, payloads.user(self.world.user(request.snowflake("user_id"))))

    async def my_guilds(self, request: RestRequest) -> RestResponse:
        bot = self.emu.bot_user_id
        result: list[JSON] = []
        for guild in sorted(self.world.guilds.values(), key=lambda g: g.id):
            if bot in guild.members:
                result.append(
                    {
                        "id": str(guild.id),
                        "name": guild.name,
                        "icon": None,
                        "banner": None,
                        "owner": False,
                        "permissions": str(self.world.base_permissions(guild.id, bot)),
                        "features": [],
                    }
                )
        return RestResponse(200, result)

    async def open_dm(self, request: RestRequest) -> RestResponse:
        recipient = int(request.body().get("recipient_id", 0))
        self.world.user(recipient)
        for channel in self.world.channels.values():
            if channel.type == DM and channel.recipient_id == recipient:
                return RestResponse(200, payloads.channel(self.world, channel))
        channel = Channel(id=self.world.ids.next(), type=DM, name="", guild_id=None, recipient_id=recipient)
        self.world.channels[channel.id] = channel
        return RestResponse(200, payloads.channel(self.world, channel))

    # guilds -----------------------------------------------------------------------------------------

    def _my_guild(self, request: RestRequest) -> int:
        guild = self.world.guild(request.snowflake("guild_id"))
        if self.emu.bot_user_id not in guild.members:
            raise missing_access()
        return guild.id

    async def get_guild(self, request: RestRequest) -> RestResponse:
        guild = self.world.guild(self._my_guild(request))
        data = payloads.guild_base(guild)
        if request.flag("with_counts"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return RestResponse(200, data)

    async def guild_channels(self, request: RestRequest) -> RestResponse:
        guild_id = self._my_guild(request)
        return RestResponse(200, [payloads.channel(self.world, c) for c in self.world.guild_channels(guild_id)])

    async def guild_roles(self, request: RestRequest) -> RestResponse:
        guild = self.world.guild(self._my_guild(request))
        return RestResponse(200, [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)])

    async def list_members(self, request: RestRequest) -> RestResponse:
        guild = self.world.guild(self._my_guild(request))
        if not self.emu.privileged_intents & 2:
            # Listing members needs the Server Members intent enabled for the application.
            raise missing_access()
        limit = min(1000, max(1, int(request.query.get("limit", "1"))))
        after = int(request.query.get("after", "0"))
        members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
        return RestResponse(200, [payloads.member(self.world, m) for m in members[:limit]])

    async def get_member(self, request: RestRequest) -> RestResponse:
        guild_id = self._my_guild(request)
        member = self.world.member(guild_id, self._user_id(request))
        return RestResponse(200, payloads.member(self.world, member))

    async def voice_state(self, request: RestRequest) -> RestResponse:
        guild = self.world.guild(self._my_guild(request))
        state = guild.voice_states.get(self._user_id(request))
        if state is None:
            raise unknown("Voice State", 10065)
        return RestResponse(200, payloads.voice_state(self.world, state))

    def _user_id(self, request: RestRequest) -> int:
        raw = request.params["user_id"]
        return self.emu.bot_user_id if raw == "@me" else request.snowflake("user_id")

    # roles ------------------------------------------------------------------------------------------

    def _check_can_grant(self, guild_id: int, role_id: int) -> None:
        role = self.world.role(guild_id, role_id)
        bot = self.emu.bot_user_id
        if not self.world.base_permissions(guild_id, bot) & perms.MANAGE_ROLES:
            raise missing_permissions()
        # The role hierarchy: a bot can only grant roles strictly below its highest role.
        if self.world.guild(guild_id).owner_id != bot and role.position >= self.world.top_role_position(guild_id, bot):
            raise missing_permissions()
        if role.bot_id is not None or role.id == guild_id:
            raise ApiError(400, 50028, "Invalid Role")

    async def add_role(self, request: RestRequest) -> RestResponse:
        guild_id = self._my_guild(request)
        role_id = request.snowflake("role_id")
        member = self.world.member(guild_id, self._user_id(request))
        self._check_can_grant(guild_id, role_id)
        if role_id not in member.roles:
            member.roles.append(role_id)
            self._member_updated(member)
        return RestResponse(204)

    async def remove_role(self, request: RestRequest) -> RestResponse:
        guild_id = self._my_guild(request)
        role_id = request.snowflake("role_id")
        member = self.world.member(guild_id, self._user_id(request))
        self._check_can_grant(guild_id, role_id)
        if role_id in member.roles:
            member.roles.remove(role_id)
            self._member_updated(member)
        return RestResponse(204)

    async def edit_member(self, request: RestRequest) -> RestResponse:
        guild_id = self._my_guild(request)
        member = self.world.member(guild_id, self._user_id(request))
        body = request.body()
        if "roles" in body and body["roles"] is not None:
            wanted = [int(r) for r in body["roles"]]
            for role_id in set(wanted) ^ set(member.roles):
                self._check_can_grant(guild_id, role_id)
            member.roles = wanted
        if "nick" in body:
            if not self.world.base_permissions(guild_id, self.emu.bot_user_id) & perms.MANAGE_NICKNAMES:
                raise missing_permissions()
            nick = body["nick"]
            if nick is not None and len(nick) > 32:
                raise invalid_form("nick", "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.")
            member.nick = nick
        self._member_updated(member)
        return RestResponse(200, payloads.member(self.world, member))

    def _member_updated(self, member: Member) -> None:
        data = payloads.member(self.world, member)
        data["guild_id"] = str(member.guild_id)
        self.emu.gateway.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id)
        self.emu.notify()
