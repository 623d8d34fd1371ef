"""The corporation, its power companies, their branches over time, and which branch a staff
user belongs to.

A branch's company and name are dated (BranchVersion): renamed, moved to another company or
merged on a date, it keeps its history. Branch.company and Branch.name are the current ones,
kept in step by adoption.territory, the one place that changes versions.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import AdminArea
from .validity import DatedFact, month_start_constraint, range_constraint


class Corporation(models.Model):
    """The group the power companies belong to (EVNNPC). Not a Company: it has no customers,
    so no customer code prefix, and no branches."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("corporation")
        verbose_name_plural = _("corporations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Company(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # "PA" + the company's two digits: the first four characters of its customer codes.
    customer_code_prefix = models.CharField(
        _("customer code prefix"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^PA[0-9]{2}$", _("Use PA followed by two digits."))],
    )
    province = models.ForeignKey(
        AdminArea,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level": "province"},
    )
    corporation = models.ForeignKey(
        Corporation,
        verbose_name=_("corporation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="companies",
    )
    # A company that merged into another: its last day, and the company that took it over.
    # Its rows stay, so "as it was" still reports it for the months it existed.
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_companies",
    )

    class Meta:
        verbose_name = _("power company")
        verbose_name_plural = _("power companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer_code_prefix__regex=r"^PA[0-9]{2}$"),
                name="company_prefix_format",
                violation_error_message=_("The customer code prefix is PA followed by two digits."),
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")),
                name="company_not_merged_into_itself",
                violation_error_message=_("A company cannot merge into itself."),
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(valid_to__isnull=False),
                name="company_merged_has_end",
                violation_error_message=_("A merged company needs the last day it existed."),
            ),
        ]

    def __str__(self):
        return self.name


class Branch(models.Model):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="branches"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Only a label where districts existed (before 07/2025): the communes a branch serves
    # are its BranchTerritory rows.
    district = models.ForeignKey(
        AdminArea,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        limit_choices_to={"level": "district"},
    )

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def companies_ever(self):
        """Every company this branch has belonged to, the current one included."""
        ids = {self.company_id, *self.versions.values_list("company_id", flat=True)}
        return Company.objects.filter(pk__in=ids)


class BranchVersion(DatedFact):
    """A branch's company and name for a span of months."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="versions"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)

    exclusive_on = "branch"

    class Meta:
        verbose_name = _("branch version")
        verbose_name_plural = _("branch versions")
        ordering = ["branch", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "valid_from"],
                name="branch_version_unique_start",
                violation_error_message=_("This branch already has a version from this date."),
            ),
            range_constraint("branch_version_valid_range"),
            month_start_constraint("branch_version_month_start"),
        ]

    def __str__(self):
        return f"{self.name} ({self.company}) {self.valid_from:%m/%Y}–" + (
            f"{self.valid_to:%m/%Y}" if self.valid_to else ""
        )

    def overlap_message(self):
        return _("%(branch)s already has a version valid at the same time.") % {
            "branch": self.branch
        }


class StaffProfile(models.Model):
    """Links a user to a company and, for branch staff, to one branch."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Required for branch staff; empty for company-wide roles."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return str(self.user)

    def clean(self):
        if self.branch_id and self.company_id and self.branch.company_id != self.company_id:
            raise ValidationError(
                {
                    "branch": _("%(branch)s is a branch of %(other)s, not of %(company)s.")
                    % {"branch": self.branch, "other": self.branch.company, "company": self.company}
                }
            )
