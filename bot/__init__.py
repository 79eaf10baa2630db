"""Cowork Circles: a Discord bot for co-working circles of solo professionals.

Everything under ``bot/`` except ``bot/client.py`` is free of discord.py: services take ids and plain
values and return frozen dataclasses, so the domain can be tested without Discord.
"""
