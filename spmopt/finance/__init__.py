"""Finance views of plan changes: the replay backtest next to simulated behaviour."""
