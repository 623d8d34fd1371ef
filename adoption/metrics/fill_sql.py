"""The SQL of the month fill: one INSERT … SELECT per rollup table, written once here.

Placeholders in braces are table names and the fragments adoption.metrics.fill writes in
(the classification join, branch filters); %s are the statement's parameters.
"""

from ..models.payments import COUNTED_SQL
from .definitions import COUNT_FIELDS

# The payments that count, for every statement that reads payments ({p}: the payment's
# alias): not reversed (adoption.reversals). The ORM's side is Payment.objects.counted().
PAID = COUNTED_SQL

# A payment p's channel classification c in force for its bill period.
IN_FORCE = (
    "{c}.channel_id = {p}.channel_id AND {c}.valid_from <= {p}.period"
    " AND ({c}.valid_to IS NULL OR {c}.valid_to >= {p}.period)"
)

# The month's placement: where each customer counts for the period, "as it was". Written
# once per month into a temporary table that the commune and channel statements both join
# by customer, instead of each looking the placement and territory up again (per payment,
# in the channel statement: the fill's time doubled when territory arrived).
#
# A customer counts in the commune of their placement in force for the period and in the
# branch serving that commune then (pl, tr). Without a placement (rows made before
# placements existed) the customer's current commune stands in; without a territory row,
# their current branch.
PLACE_TABLE = "fill_place"
PLACE_SQL = """
CREATE TEMPORARY TABLE {place} {on_commit} AS
SELECT c.id AS customer_id,
       COALESCE(tr.branch_id, c.branch_id) AS branch_id,
       COALESCE(pl.commune_id, c.commune_id) AS commune_id,
       c.customer_type,
       CASE WHEN c.connected_on <= %s AND (c.disconnected_on IS NULL OR c.disconnected_on >= %s)
            THEN 1 ELSE 0 END AS active
FROM {customer} c
LEFT JOIN {placement} pl ON pl.customer_id = c.id AND pl.valid_from <= %s
     AND (pl.valid_to IS NULL OR pl.valid_to >= %s)
LEFT JOIN {territory} tr ON tr.commune_id = COALESCE(pl.commune_id, c.commune_id)
     AND tr.valid_from <= %s AND (tr.valid_to IS NULL OR tr.valid_to >= %s)
WHERE {candidates}
"""

# For a fill of some branches only: the customers who can count in them this period (placed
# in a commune they serve, or living in one by their current commune, or of the branch by
# their current branch), found through the indexes, so that a one-branch fill reads that
# branch's customers and their payments, not the whole month. PLACE_SQL then keeps those
# that do count there.
CANDIDATES = """
c.id IN (
    SELECT pl2.customer_id FROM {territory} t2
    JOIN {placement} pl2 ON pl2.commune_id = t2.commune_id AND pl2.valid_from <= %s
         AND (pl2.valid_to IS NULL OR pl2.valid_to >= %s)
    WHERE {t2_branch_in} AND t2.valid_from <= %s AND (t2.valid_to IS NULL OR t2.valid_to >= %s)
    UNION
    SELECT c3.id FROM {customer} c3 WHERE {c3_branch_in} OR c3.commune_id IN (
        SELECT t3.commune_id FROM {territory} t3
        WHERE {t3_branch_in} AND t3.valid_from <= %s
          AND (t3.valid_to IS NULL OR t3.valid_to >= %s)))
AND {placed_branch_in}
"""

# The payments a fill of some branches reads: those of the customers it placed.
ONLY_PLACED = f"AND p.customer_id IN (SELECT customer_id FROM {PLACE_TABLE})"

# Every customer who can have counted in some branches at any time (by their current branch,
# a commune they were ever placed in or their current commune, served by one of them at any
# time): a superset of those a fill of these branches counts, cheap to find.
CUSTOMERS_OF_BRANCHES = """
SELECT c.id FROM {customer} c WHERE {c_branch_in}
UNION
SELECT pl.customer_id FROM {placement} pl JOIN {territory} tr ON tr.commune_id = pl.commune_id
WHERE {tr_branch_in}
UNION
SELECT c.id FROM {customer} c JOIN {territory} tr ON tr.commune_id = c.commune_id
WHERE {tr_branch_in}
"""

# One row per (branch, commune, customer type) from one pass over the month's placement,
# joined to the customers' payments for the period summed per customer (pay), whether they
# paid non-cash the period before (prev), and their first non-cash period if it is this one
# or six months back. {in_place} limits the payments read to the placed customers' on a fill
# of some branches (an index lookup per customer); a fill of every branch reads the month.
COMMUNE_MONTH_SQL = """
INSERT INTO {commune_month} (
    period, branch_id, commune_id, customer_type,
    active_customers, paying_customers, noncash_customers,
    payments, noncash_payments, amount, noncash_amount,
    new_noncash_customers, back_to_cash_customers, cohort_6m_customers, retained_6m_customers)
SELECT x.period, c.branch_id, c.commune_id, c.customer_type,
    SUM(c.active),
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
FROM (SELECT %s AS period, %s AS cohort) x
CROSS JOIN {place} c
LEFT JOIN (
    SELECT p.customer_id,
           COUNT(*) AS payments,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE 1 END) AS noncash_payments,
           SUM(p.amount) AS amount,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE p.amount END) AS noncash_amount
    FROM {payment} p JOIN {classified}
    WHERE p.period = %s AND {paid} {in_place}
    GROUP BY p.customer_id
) pay ON pay.customer_id = c.customer_id
LEFT JOIN (
    SELECT DISTINCT p.customer_id
    FROM {payment} p JOIN {classified_before}
    WHERE p.period = %s AND {paid} AND NOT ch.is_cash {in_place}
) prev ON prev.customer_id = c.customer_id
LEFT JOIN {first} f ON f.customer_id = c.customer_id AND f.period IN (%s, %s)
WHERE c.active = 1 OR pay.customer_id IS NOT NULL OR f.customer_id IS NOT NULL
GROUP BY x.period, c.branch_id, c.commune_id, c.customer_type
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
SELECT x.period, c.branch_id, p.channel_id, ch.kind, c.customer_type,
    SUM(p.payments), SUM(p.amount), COUNT(*)
FROM (
    SELECT p.customer_id, p.channel_id, COUNT(*) AS payments, SUM(p.amount) AS amount
    FROM {payment} p
    WHERE p.period = %s AND {paid} {in_place}
    GROUP BY p.customer_id, p.channel_id
) p
CROSS JOIN (SELECT %s AS period) x
JOIN {place} c ON c.customer_id = p.customer_id
JOIN {classified}
GROUP BY x.period, c.branch_id, p.channel_id, ch.kind, c.customer_type
"""
