"""Community health figures: periods, pure computations per family, the SQL behind them,
and the `HealthReport` that /health, the digest and `foyer report` show."""
