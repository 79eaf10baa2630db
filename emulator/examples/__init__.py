"""Runnable scripts against the emulator's programmatic API (see docs/EMULATOR.md, "Scripting the emulator")."""
