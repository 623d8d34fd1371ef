"""Administrative areas as a dated tree, and how old communes map onto the 2025 ones.

Before 1 July 2025: province -> district -> commune -> village. After it, districts are
abolished and communes hang directly under the (merged) province. Old units keep their rows
with valid_to set, so history stays "by district" exactly as it was recorded.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import AreaLevel


class AdminArea(models.Model):
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices)
    # Official code from the General Statistics Office; villages have none.
    code = models.CharField(_("official code"), max_length=10, blank=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["level", "name"]
        constraints = [
            # Codes are reused across the 2025 reform, so they are unique per validity start.
            models.UniqueConstraint(
                fields=["level", "code", "valid_from"],
                condition=~Q(code=""),
                name="area_code_unique_per_level_and_start",
                violation_error_message=_("An area of this level with this code already exists."),
            ),
            # NULLs are distinct in a unique index, so undated areas need their own rule.
            models.UniqueConstraint(
                fields=["level", "code"],
                condition=~Q(code="") & Q(valid_from__isnull=True),
                name="area_code_unique_per_level_undated",
                violation_error_message=_("An area of this level with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="area_valid_range",
                violation_error_message=_("The end of validity is before its start."),
            ),
        ]
        indexes = [models.Index(fields=["parent", "level"])]

    def __str__(self):
        return self.name


class AreaSuccession(models.Model):
    """An old (pre-2025) commune and the 2025 commune that took it over, wholly or in part."""

    old_area = models.ForeignKey(
        AdminArea,
        verbose_name=_("old area"),
        on_delete=models.PROTECT,
        related_name="successions",
    )
    new_area = models.ForeignKey(
        AdminArea,
        verbose_name=_("new area"),
        on_delete=models.PROTECT,
        related_name="predecessions",
    )
    effective_on = models.DateField(_("effective on"))
    # An old commune split between several new ones has exactly one default successor.
    is_default = models.BooleanField(_("default successor"), default=True)

    class Meta:
        verbose_name = _("area succession")
        verbose_name_plural = _("area successions")
        constraints = [
            models.UniqueConstraint(
                fields=["old_area", "new_area"],
                name="area_succession_unique",
                violation_error_message=_("This succession is already recorded."),
            ),
            models.CheckConstraint(
                condition=~Q(old_area=models.F("new_area")),
                name="area_succession_not_itself",
                violation_error_message=_("An area cannot succeed itself."),
            ),
            models.UniqueConstraint(
                fields=["old_area"],
                condition=Q(is_default=True),
                name="area_succession_one_default",
                violation_error_message=_("This area already has a default successor."),
            ),
        ]

    def __str__(self):
        return f"{self.old_area} → {self.new_area}"


def record_place_errors(record, on=None):
    """place_errors of a record's branch, commune and village (a customer, an outreach
    activity, a plan), those of them that are set."""
    return place_errors(
        record.branch if record.branch_id else None,
        record.commune if record.commune_id else None,
        record.village if record.village_id else None,
        on=on,
    )


def place_errors(branch, commune, village, on=None):
    """Errors for a commune the branch does not serve on that day (default today) or a
    village outside its commune.

    A branch's communes are its BranchTerritory in force that day. A branch with no
    territory at all (not yet carried over) falls back to its district: a commune under
    another district is refused; one under no district (made by the 2025 reform) is not.
    """
    from django.utils import timezone

    from .territory import BranchTerritory
    from .validity import in_force

    errors = {}
    if branch is not None and commune is not None:
        on = on or timezone.localdate()
        territory = BranchTerritory.objects.filter(branch=branch)
        if territory.exists():
            if not territory.filter(in_force(on), commune=commune).exists():
                errors["commune"] = _("%(branch)s does not serve %(commune)s on %(day)s.") % {
                    "commune": commune,
                    "branch": branch,
                    "day": f"{on:%d/%m/%Y}",
                }
        else:
            district = commune.parent
            known = district is not None and district.level == AreaLevel.DISTRICT
            if known and district.pk != branch.district_id:
                errors["commune"] = _(
                    "%(commune)s is in %(district)s, not in the district served by %(branch)s."
                ) % {"commune": commune, "district": district, "branch": branch}
    if commune is not None and village is not None and village.parent_id != commune.pk:
        errors["village"] = _("%(village)s is not in %(commune)s.") % {
            "village": village,
            "commune": commune,
        }
    return errors
