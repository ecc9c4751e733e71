"""Real prices: reading price files, drawdowns, calibration of the market block, backtests."""
