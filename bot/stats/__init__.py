"""Stats: `/stats me|circle|export`, the weekly digest, and the figures and charts behind them."""
