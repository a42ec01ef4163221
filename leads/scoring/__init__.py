"""The scoring engine: pure, no database access and no models. Callers pass
frequency tables (plain counts the database aggregated) and a lead's values; all
of it is unit-testable without a database, and the backtest replays it in memory.

- model: the naive-Bayes score of one lead from frequency tables (smoothing, the
  organisation as fallback for a small business unit, "not enough data", pins).
- factors: the few values that move a lead's score most, in words a rep reads.
- grades: the A–D grade from an administrator's thresholds, and the week's trend.
- evaluation: what the backtest shows (AUC with its interval, calibration, the
  qualification rate per grade with Wilson intervals, the oracle AUC).

The scoring services load the tables, call this package and store the results.
This package imports no models (nor anything of Django), so the models may import it.
"""
