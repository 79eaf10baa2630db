"""Alembic's script directory (env.py, versions/), packaged with the bot so a non-editable install migrates."""
