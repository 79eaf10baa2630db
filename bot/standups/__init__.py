"""Async standups: a daily thread per circle, answers by modal, one gentle reminder, a warm summary."""
