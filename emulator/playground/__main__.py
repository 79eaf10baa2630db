"""``python -m emulator.playground``: the emulator's demo server, the real bot against it, and a web page."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from pathlib import Path

from .session import Playground, PlaygroundError
from .web import serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot playground",
        description="The bot against a local Discord emulator with a demo server, driven from a web page "
        "on 127.0.0.1. No token, no Discord application. Ctrl-C stops everything.",
    )
    parser.add_argument("--port", type=int, default=8765, help="the web page's port (default 8765; 0: any free port)")
    return parser.parse_args(argv)


async def run(port: int) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with tempfile.TemporaryDirectory(prefix="cowork-playground-") as folder:
        playground = Playground(Path(folder))
        try:
            runner, port = await serve(playground, port)
        except OSError as error:
            print(f"error: cannot listen on 127.0.0.1:{port} ({error.strerror}); try --port 0", file=sys.stderr)
            return 1
        try:
            await playground.start()
            print(f"Playground: http://127.0.0.1:{port}/  (the bot is starting; Ctrl-C stops everything)", flush=True)
            waiter = asyncio.create_task(stop.wait())
            ready = asyncio.create_task(playground.wait_ready(120))
            done, _ = await asyncio.wait({waiter, ready}, return_when=asyncio.FIRST_COMPLETED)
            if ready in done:
                try:
                    ready.result()
                    print("The bot is ready: open the page and act as host, alice or bob.", flush=True)
                except (PlaygroundError, TimeoutError) as error:
                    print(f"error: {error}; the page's log pane shows the bot's log", file=sys.stderr, flush=True)
            else:
                ready.cancel()
            await waiter
        finally:
            print("Stopping the bot, the emulator and the page…", flush=True)
            await playground.stop()
            await runner.cleanup()
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signal.SIGINT)
    print("Stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(args.port))


if __name__ == "__main__":
    sys.exit(main())
