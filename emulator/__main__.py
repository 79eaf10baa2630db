"""``python -m emulator``: run the emulator with the default world, to run the bot against by hand."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .server import Emulator
from .world import default_world


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1 (or localhost) is accepted")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--token", default=None, help="the bot token to accept (default: a new Discord-shaped token)")
    parser.add_argument("--shards", type=int, default=1, help="shard count GET /gateway/bot recommends")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emu = Emulator(token=args.token, host=args.host, port=args.port, recommended_shards=args.shards)
    await emu.start()
    world = default_world(emu)
    print(f"DISCORD_API_BASE={emu.api_base}")
    print(f"DISCORD_GATEWAY_URL={emu.gateway_url}")
    print(f"DISCORD_TOKEN={emu.token}")
    print(f"# bot user / application id: {emu.bot_user_id}")
    print(f"# guild A {world.guild_a} (owner host {world.host}), guild B {world.guild_b}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()
        for record in emu.unhandled:
            print(f"unhandled: {record.method} {record.path}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    if args.host not in ("127.0.0.1", "localhost"):
        raise SystemExit("the emulator only binds to 127.0.0.1")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
