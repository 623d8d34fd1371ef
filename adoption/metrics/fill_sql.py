"""The SQL of the month fill: one INSERT … SELECT per rollup table, written once here.

Placeholders in braces are table names and the fragments adoption.metrics.fill writes in
(the classification join, branch filters); %s are the statement's parameters.
"""

from .definitions import COUNT_FIELDS

# A payment p's channel classification c in force for its bill period.
IN_FORCE = (
    "{c}.channel_id = {p}.channel_id AND {c}.valid_from <= {p}.period"
    " AND ({c}.valid_to IS NULL OR {c}.valid_to >= {p}.period)"
)


# Keyed "as it was": a customer counts in the commune of their placement in force for the
# period and in the branch serving that commune then (pl, tr). Without a placement (rows made
# before placements existed) the customer's current commune stands in; without a territory
# row, their current branch.
PLACED = """
LEFT JOIN {placement} pl ON pl.customer_id = c.id AND pl.valid_from <= x.period
     AND (pl.valid_to IS NULL OR pl.valid_to >= x.period)
LEFT JOIN {territory} tr ON tr.commune_id = COALESCE(pl.commune_id, c.commune_id)
     AND tr.valid_from <= x.period AND (tr.valid_to IS NULL OR tr.valid_to >= x.period)
"""
PERIOD_BRANCH = "COALESCE(tr.branch_id, c.branch_id)"
PERIOD_COMMUNE = "COALESCE(pl.commune_id, c.commune_id)"

# One row per (branch, commune, customer type) from one pass over the customers, joined to
# their payments for the period summed per customer (pay), whether they paid non-cash the
# period before (prev), and their first non-cash period if it is this one or six months back.
COMMUNE_MONTH_SQL = """
INSERT INTO {commune_month} (
    period, branch_id, commune_id, customer_type,
    active_customers, paying_customers, noncash_customers,
    payments, noncash_payments, amount, noncash_amount,
    new_noncash_customers, back_to_cash_customers, cohort_6m_customers, retained_6m_customers)
SELECT x.period, {period_branch}, {period_commune}, c.customer_type,
    SUM(CASE WHEN c.connected_on <= x.last_day
              AND (c.disconnected_on IS NULL OR c.disconnected_on >= x.period)
             THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.customer_id IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.noncash_payments > 0 THEN 1 ELSE 0 END),
    COALESCE(SUM(pay.payments), 0),
    COALESCE(SUM(pay.noncash_payments), 0),
    COALESCE(SUM(pay.amount), 0),
    COALESCE(SUM(pay.noncash_amount), 0),
    SUM(CASE WHEN f.period = x.period THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.noncash_payments = 0 AND prev.customer_id IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN f.period = x.cohort THEN 1 ELSE 0 END),
    SUM(CASE WHEN f.period = x.cohort AND pay.noncash_payments > 0 THEN 1 ELSE 0 END)
FROM (SELECT %s AS period, %s AS last_day, %s AS cohort) x
CROSS JOIN {customer} c
{placed}
LEFT JOIN (
    SELECT p.customer_id,
           COUNT(*) AS payments,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE 1 END) AS noncash_payments,
           SUM(p.amount) AS amount,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE p.amount END) AS noncash_amount
    FROM {payment} p JOIN {classified}
    WHERE p.period = %s
    GROUP BY p.customer_id
) pay ON pay.customer_id = c.id
LEFT JOIN (
    SELECT DISTINCT p.customer_id
    FROM {payment} p JOIN {classified_before}
    WHERE p.period = %s AND NOT ch.is_cash
) prev ON prev.customer_id = c.id
LEFT JOIN {first} f ON f.customer_id = c.id AND f.period IN (%s, %s)
WHERE {branch_in}
  AND ((c.connected_on <= x.last_day
        AND (c.disconnected_on IS NULL OR c.disconnected_on >= x.period))
       OR pay.customer_id IS NOT NULL OR f.customer_id IS NOT NULL)
GROUP BY x.period, {period_branch}, {period_commune}, c.customer_type
"""


SUMMED_COUNTS = ", ".join(f"SUM({f})" for f in COUNT_FIELDS)

# The branch's company is the one of its version in force for the period.
BRANCH_MONTH_SQL = f"""
INSERT INTO {{branch_month}} (
    period, branch_id, company_id, customer_type, {", ".join(COUNT_FIELDS)})
SELECT cm.period, cm.branch_id, COALESCE(MIN(v.company_id), MIN(b.company_id)),
    cm.customer_type, {SUMMED_COUNTS}
FROM {{commune_month}} cm
JOIN {{branch}} b ON b.id = cm.branch_id
LEFT JOIN {{version}} v ON v.branch_id = cm.branch_id AND v.valid_from <= cm.period
     AND (v.valid_to IS NULL OR v.valid_to >= cm.period)
WHERE cm.period = %s AND {{cm_branch_in}}
GROUP BY cm.period, cm.branch_id, cm.customer_type
"""

# Per customer and channel first, so customers are counted without a DISTINCT sort; the kind
# is the channel's in force for the period.
CHANNEL_MONTH_SQL = """
INSERT INTO {channel_month} (
    period, branch_id, channel_id, kind, customer_type, payments, amount, customers)
SELECT x.period, {period_branch}, p.channel_id, ch.kind, c.customer_type,
    SUM(p.payments), SUM(p.amount), COUNT(*)
FROM (
    SELECT p.period, p.customer_id, p.channel_id, COUNT(*) AS payments, SUM(p.amount) AS amount
    FROM {payment} p
    WHERE p.period = %s
    GROUP BY p.period, p.customer_id, p.channel_id
) p
CROSS JOIN (SELECT %s AS period) x
JOIN {customer} c ON c.id = p.customer_id
JOIN {classified}
{placed}
WHERE {branch_in}
GROUP BY x.period, {period_branch}, p.channel_id, ch.kind, c.customer_type
"""
