"""How a dated fact of the organisation or territory changes from a date: the checks and the
write the services share (adoption.territory, adoption.customer_places, adoption.area_reform).

Each change applies from the first day of a month and leaves the months before it as they
were; it either applies whole or raises ValidationError with nothing changed (the services run
in one transaction), and marks the rollup months it touches stale.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .metrics import dirty, freshness
from .models.validity import in_force
from .months import month_label, month_start, this_month


def check_month_start(on):
    if on.day != 1:
        raise ValidationError(
            _("Changes apply from the first day of a month (%(start)s), not %(day)s.")
            % {"start": f"{month_start(on):%d/%m/%Y}", "day": f"{on:%d/%m/%Y}"}
        )
    if on > this_month():
        raise ValidationError(
            _("A change can apply from this month at the latest, not from %(month)s.")
            % {"month": month_label(on)}
        )


def change_from(facts, on, create, **values):
    """From `on` on, the fact of this subject (facts: its queryset) holds `values`.

    The fact in force on `on` ends the day before (or, starting on `on`, is changed in place);
    a fact that starts later is refused rather than silently overwritten. Returns the fact
    now in force on `on`.
    """
    refuse_later(facts, on)
    current = facts.filter(in_force(on)).first()
    if current is not None and current.valid_from == on:
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
        return current
    valid_to = None
    if current is not None:
        valid_to = current.valid_to
        current.valid_to = on - timedelta(days=1)
        current.save(update_fields=["valid_to"])
    return create(valid_from=on, valid_to=valid_to, **values)


def refuse_later(facts, on):
    later = facts.filter(valid_from__gt=on).order_by("valid_from").first()
    if later is not None:
        raise ValidationError(
            _("%(subject)s already changes from %(month)s; change that record first.")
            % {
                "subject": getattr(later, later.exclusive_on),
                "month": month_label(later.valid_from),
            }
        )


def mark_from(on, branch_ids):
    """Every covered month from `on` on, in these branches, is stale."""
    periods = [p for p in freshness.covered_periods() if p >= month_start(on)]
    if periods:
        dirty.mark_dirty(periods, set(branch_ids))


def commune_exists_on(commune, on):
    return (commune.valid_from is None or commune.valid_from <= on) and (
        commune.valid_to is None or commune.valid_to >= on
    )
