"""Territory over time: which branch serves which commune when, and where a customer lives
when.

Both are monthly facts (see validity.py). Customer.commune, .village and .branch are the
current placement, kept in step by the territory services (adoption.territory,
customer_places, area_reform), the only code that changes them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import AdminArea
from .organisation import Branch
from .validity import DatedFact, month_start_constraint, range_constraint


class BranchTerritory(DatedFact):
    """A branch serves a commune from valid_from to valid_to. One branch per commune at a
    time (an exclusion constraint on PostgreSQL, DatedFact.clean everywhere)."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="territory"
    )
    commune = models.ForeignKey(
        AdminArea,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="territory",
        limit_choices_to={"level": "commune"},
    )

    exclusive_on = "commune"

    class Meta:
        verbose_name = _("branch territory")
        verbose_name_plural = _("branch territories")
        ordering = ["commune", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "valid_from"],
                name="branch_territory_unique_start",
                violation_error_message=_("This commune already has a branch from this date."),
            ),
            range_constraint("branch_territory_valid_range"),
            month_start_constraint("branch_territory_month_start"),
        ]
        indexes = [models.Index(fields=["branch", "valid_from"], name="territory_branch")]

    def __str__(self):
        return f"{self.commune} → {self.branch}"

    def overlap_message(self):
        return _("%(commune)s is already served by another branch at the same time.") % {
            "commune": self.commune
        }


class CustomerPlacement(DatedFact):
    """A customer's commune and village from valid_from to valid_to."""

    customer = models.ForeignKey(
        "adoption.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="placements",
    )
    commune = models.ForeignKey(
        AdminArea,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="placements",
        limit_choices_to={"level": "commune"},
    )
    village = models.ForeignKey(
        AdminArea,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="village_placements",
        limit_choices_to={"level": "village"},
    )

    exclusive_on = "customer"

    class Meta:
        verbose_name = _("customer placement")
        verbose_name_plural = _("customer placements")
        ordering = ["customer", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "valid_from"],
                name="customer_placement_unique_start",
                violation_error_message=_("This customer already has a place from this date."),
            ),
            range_constraint("customer_placement_valid_range"),
            month_start_constraint("customer_placement_month_start"),
        ]
        # The fill finds the placement in force for a period per customer.
        indexes = [models.Index(fields=["commune", "valid_from"], name="placement_commune")]

    def __str__(self):
        return f"{self.customer} @ {self.commune}"

    def overlap_message(self):
        return _("%(customer)s already has a place valid at the same time.") % {
            "customer": self.customer
        }
