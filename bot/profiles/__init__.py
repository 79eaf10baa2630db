"""Member profiles: timezone, working hours, offers/asks, leaderboard choice, away periods (per guild)."""
