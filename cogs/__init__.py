"""Discord glue: one package per feature, each an extension with ``async def setup(bot)``."""
