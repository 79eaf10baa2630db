"""Circles: groups inside a guild bound to a home channel, an optional focus room and roles."""
