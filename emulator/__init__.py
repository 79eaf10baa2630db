"""A strict loopback Discord API emulator (REST v10 + gateway v10) and a driver that plays the users.

See docs/EMULATOR.md.
"""

from .driver import Driver, DriverError, InteractionHandle
from .mentions import Pings
from .routing import RecordedRequest
from .server import Emulator
from .world import World, default_world

__all__ = [
    "Driver",
    "DriverError",
    "Emulator",
    "InteractionHandle",
    "Pings",
    "RecordedRequest",
    "World",
    "default_world",
]
