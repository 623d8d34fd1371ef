"""Dated facts: what "in force" means, and the rules every dated fact shares.

A dated fact holds from `valid_from` (inclusive) to `valid_to` (inclusive, NULL = still
valid). A monthly fact (a branch's company, which branch serves a commune, where a customer
lives) starts on the first day of a month, so every bill period has exactly one such fact in
force; it is in force for period P (the month's first day) when valid_from <= P and
(valid_to is null or valid_to >= P).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# The start of a fact that has held "since always": the first version of a branch, the first
# placement of a customer (so a payment recorded before its connection date still has a
# commune), a territory whose commune has no recorded start.
BEGINNING = date(1900, 1, 1)


def in_force(on, prefix=""):
    """Q for the facts in force on this day (the first day of a period for monthly facts)."""
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


def overlapping(valid_from, valid_to, prefix=""):
    """Q for the facts whose validity shares at least one day with valid_from..valid_to."""
    q = Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": valid_from})
    if valid_to is not None:
        q &= Q(**{f"{prefix}valid_from__lte": valid_to})
    return q


def range_constraint(name):
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
        name=name,
        violation_error_message=_("The end of validity is before its start."),
    )


def month_start_constraint(name):
    return models.CheckConstraint(
        condition=Q(valid_from__day=1),
        name=name,
        violation_error_message=_("A monthly fact starts on the first day of a month."),
    )


class DatedFact(models.Model):
    """valid_from..valid_to, and a clean() that refuses a second fact for the same subject
    at the same time. PostgreSQL backs that with an exclusion constraint (see migration 0007);
    this check gives SQLite the same rule and every database a clear message."""

    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    # The field naming what may not have two facts at once (the branch, the commune...).
    exclusive_on = None

    class Meta:
        abstract = True

    def overlaps(self):
        """The other facts of the same subject whose validity overlaps this one's."""
        subject = {self.exclusive_on + "_id": getattr(self, self.exclusive_on + "_id")}
        return (
            type(self)
            ._default_manager.filter(**subject)
            .filter(overlapping(self.valid_from, self.valid_to))
            .exclude(pk=self.pk)
        )

    def clean(self):
        super().clean()
        if self.valid_from is None:
            return
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end of validity is before its start.")})
        if getattr(self, self.exclusive_on + "_id") is not None and self.overlaps().exists():
            raise ValidationError(self.overlap_message())

    def overlap_message(self):
        return _("Another record for %(subject)s is valid at the same time.") % {
            "subject": getattr(self, self.exclusive_on)
        }
