"""Adoption metrics: the one place rates are defined and rollups are filled and read.

This package exposes the definitions and the read API (what views, exports and reports use):
`from adoption import metrics; metrics.monthly_rates(...)`. The rest lives in its modules:

- definitions: COUNT_FIELDS, RATES, GROUP_KEYS, RETENTION_MONTHS, percent, with_rates.
- read: monthly_rates, channel_mix, latest_period.
- freshness: refresh, ensure_fresh (run by the worker, never inside a request), data_as_of,
  covered_periods.
- dirty: mark_dirty, mark_customer_dirty and the branches a change can make stale.
- fill, fill_sql, first_noncash: the set-based SQL that rebuilds one month's rollups and the
  first-non-cash table.
"""

from .definitions import (
    COUNT_FIELDS,
    GROUP_KEYS,
    RATES,
    RETENTION_MONTHS,
    percent,
    with_rates,
)
from .read import channel_mix, latest_period, monthly_rates

__all__ = [
    "COUNT_FIELDS",
    "GROUP_KEYS",
    "RATES",
    "RETENTION_MONTHS",
    "channel_mix",
    "latest_period",
    "monthly_rates",
    "percent",
    "with_rates",
]
