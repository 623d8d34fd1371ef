"""What every adoption figure means: the counts the rollups hold and the rates made of them.

For a bill period P (a month) and any set of customers (a commune, a branch, the company):

- active customers: connected on or before P's last day and not disconnected before P's
  first day.
- paying customers: customers with at least one payment for bill period P, whenever paid
  (a late payment for an old bill counts for that old period).
- non-cash customers: customers with at least one payment for P through a channel that is
  not cash in P (the ChannelClassification in force for P says is_cash false: a channel
  reclassified from a month on counts as before in the months before it).
- customer adoption rate = non-cash customers / active customers (the headline figure).
- paying-customer rate = non-cash customers / paying customers.
- payment share = non-cash payments / payments; amount share = non-cash VND / all VND.
- channel mix: payments, VND and paying customers per channel (and summed per channel kind).
- new non-cash customers: customers whose first non-cash payment ever is for P.
- back-to-cash customers: non-cash in P-1, paid for P, but only by cash.
- 6-month cohort: customers whose first non-cash period is P-6; retained: those of the cohort
  who are non-cash in P. Retention rate = retained / cohort.

Every count is stored per (period, branch, commune, customer type) in CommuneMonth "as it
was": by the customer's commune that month (CustomerPlacement), the branch serving it that
month (BranchTerritory) and the customer's current type; summed over communes in BranchMonth
with the branch's company that month (BranchVersion), what branch and company figures read;
ChannelMonth holds the channel mix. "As it is now" regroups the same counts onto today's
communes and branches when read (adoption.regrouping). Every rate is a ratio of summed
counts, never an average of rates. The rollups cover each month from the first to the last
bill period that has any payment; a month without payments inside that range still has its
active customers. docs/metrics.md says the same at more length.
"""

COUNT_FIELDS = (
    "active_customers",
    "paying_customers",
    "noncash_customers",
    "payments",
    "noncash_payments",
    "amount",
    "noncash_amount",
    "new_noncash_customers",
    "back_to_cash_customers",
    "cohort_6m_customers",
    "retained_6m_customers",
)

# rate name -> (numerator, denominator), both CommuneMonth counts.
RATES = {
    "adoption_rate": ("noncash_customers", "active_customers"),
    "paying_rate": ("noncash_customers", "paying_customers"),
    "payment_share": ("noncash_payments", "payments"),
    "amount_share": ("noncash_amount", "amount"),
    "retention_6m": ("retained_6m_customers", "cohort_6m_customers"),
}

GROUP_KEYS = {"company": [], "branch": ["branch_id"], "commune": ["branch_id", "commune_id"]}

# How many months after the first non-cash payment retention is measured.
RETENTION_MONTHS = 6


def percent(numerator, denominator):
    """A rate in percent, or None where the denominator is zero (no data is not 0%)."""
    return None if not denominator else 100.0 * numerator / denominator


def with_rates(row):
    for name, (num, den) in RATES.items():
        row[name] = percent(row[num], row[den])
    return row
