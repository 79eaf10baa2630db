"""Glue shared by every cog: who is asking, how to answer, how to pick a circle."""
