"""The playground: the real bot against the emulator's demo server, driven from a web page on loopback.

``python -m bot playground`` (or ``python -m emulator.playground``). See docs/PLAYGROUND.md.
"""

from .session import Playground, PlaygroundError
from .web import make_app, serve

__all__ = ["Playground", "PlaygroundError", "make_app", "serve"]
