"""Focus sprints and co-working time from voice."""
