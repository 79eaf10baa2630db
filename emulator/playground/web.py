"""The playground's web page and its JSON API, on 127.0.0.1 only (aiohttp; plain HTML/JS from ``static/``).

The page polls ``GET /api/state`` (about twice a second) and posts what the member does. Ids travel as
strings (JSON numbers lose precision above 2**53; Discord's ids are bigger), and are turned back into ints here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from .session import Playground, PlaygroundError

STATIC = Path(__file__).parent / "static"
PLAYGROUND: web.AppKey[Playground] = web.AppKey("playground", Playground)


def make_app(playground: Playground) -> web.Application:
    app = web.Application()
    app[PLAYGROUND] = playground
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/commands", _commands)
    app.router.add_post("/api/command", _command)
    app.router.add_post("/api/autocomplete", _autocomplete)
    app.router.add_post("/api/click", _click)
    app.router.add_post("/api/modal", _modal)
    app.router.add_post("/api/say", _say)
    app.router.add_post("/api/voice", _voice)
    app.router.add_post("/api/time", _time)
    app.router.add_get("/attachments/{attachment_id}/{filename}", _attachment)
    return app


async def serve(playground: Playground, port: int) -> tuple[web.AppRunner, int]:
    """Start the page on 127.0.0.1:``port`` (0: any free port); returns the runner and the port."""
    runner = web.AppRunner(make_app(playground), handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    return runner, int(sockets[0].getsockname()[1]) if sockets else port


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def _pg(request: web.Request) -> Playground:
    return request.app[PLAYGROUND]


def _id(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PlaygroundError(f"{what}: expected an id, got {value!r}") from None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise PlaygroundError("expected a JSON body") from None
    if not isinstance(data, dict):
        raise PlaygroundError("expected a JSON object")
    return data


def _refused(error: PlaygroundError) -> web.Response:
    return web.json_response({"error": str(error)}, status=400)


async def _state(request: web.Request) -> web.Response:
    pg = _pg(request)
    query = request.query
    try:
        as_user = _id(query.get("as"), "as")
        channel = _id(query.get("channel"), "channel") if query.get("channel") else None
        log_after = int(query.get("log_after", "0") or 0)
    except (PlaygroundError, ValueError) as error:
        return web.json_response({"error": str(error)}, status=400)
    guild = pg.emu.world.guild(pg.guild_id)
    if as_user not in guild.members:
        as_user = guild.owner_id  # the page's first poll, before a member is picked: the host
    body = {
        "bot": {
            "status": pg.status(),
            "exit_code": pg.bot.process.returncode if pg.bot.process else None,
            "now": pg.bot_now().isoformat(),
            "offset_seconds": pg.offset,
            "wakeups": pg.wakeups()[:8],
            "user_id": str(pg.emu.bot_user_id),
        },
        "guild": {"id": str(guild.id), "name": guild.name},
        "members": pg.members(),
        "channels": pg.channels(as_user),
        "messages": pg.messages(channel, as_user) if channel is not None else [],
        "log": [{"seq": line.seq, "source": line.source, "text": line.text} for line in pg.log_after(log_after)],
        "names": _names(pg),
    }
    return web.json_response(body)


def _names(pg: Playground) -> dict[str, dict[str, str]]:
    """For rendering mentions: users, channels and roles by id."""
    world = pg.emu.world
    guild = world.guild(pg.guild_id)
    return {
        "users": {str(u.id): u.username for u in world.users.values()},
        "channels": {str(c.id): c.name for c in world.channels.values() if c.guild_id == guild.id},
        "roles": {str(r.id): r.name for r in guild.roles.values()},
    }


async def _commands(request: web.Request) -> web.Response:
    return web.json_response({"commands": _pg(request).commands()})


async def _command(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        result = await pg.command(
            _id(data.get("as"), "as"),
            _id(data.get("channel"), "channel"),
            str(data.get("command", "")),
            dict(data.get("options") or {}),
        )
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response(result)


async def _autocomplete(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        choices = await pg.autocomplete(
            _id(data.get("as"), "as"),
            _id(data.get("channel"), "channel"),
            str(data.get("command", "")),
            dict(data.get("options") or {}),
            str(data.get("focused", "")),
        )
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response({"choices": choices})


async def _click(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        values = data.get("values")
        result = await pg.click(
            _id(data.get("as"), "as"),
            _id(data.get("message"), "message"),
            str(data.get("custom_id", "")),
            [str(v) for v in values] if isinstance(values, list) else None,
        )
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response(result)


async def _modal(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        raw = dict(data.get("values") or {})
        values = {str(k): [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in raw.items()}
        result = await pg.submit_modal(_id(data.get("as"), "as"), str(data.get("custom_id", "")), values)
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response(result)


async def _say(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        message = await pg.say(
            _id(data.get("as"), "as"), _id(data.get("channel"), "channel"), str(data.get("content", ""))
        )
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response({"id": message["id"]})


async def _voice(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        channel = _id(data["channel"], "channel") if data.get("channel") else None
        await pg.voice(_id(data.get("as"), "as"), str(data.get("action", "")), channel)
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response({"members": pg.members()})


async def _time(request: web.Request) -> web.Response:
    pg = _pg(request)
    try:
        data = await _body(request)
        if data.get("to") == "next":
            wake = await pg.jump_to_next()
            return web.json_response({"now": pg.bot_now().isoformat(), "wakeup": wake})
        try:
            seconds = float(data.get("seconds", 0))
        except (TypeError, ValueError):
            raise PlaygroundError("seconds: expected a number") from None
        pg.jump(seconds)
    except PlaygroundError as error:
        return _refused(error)
    return web.json_response({"now": pg.bot_now().isoformat()})


async def _attachment(request: web.Request) -> web.StreamResponse:
    pg = _pg(request)
    try:
        attachment_id = int(request.match_info["attachment_id"])
        data = pg.emu.attachment_data(attachment_id)
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
    name = request.match_info["filename"]
    kind = "image/png" if name.lower().endswith(".png") else "application/octet-stream"
    return web.Response(body=data, content_type=kind)
