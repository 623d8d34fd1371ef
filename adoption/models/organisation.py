"""The power company, its branches, and which branch a staff user belongs to."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import AdminArea


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

    class Meta:
        verbose_name = _("power company")
        verbose_name_plural = _("power companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer_code_prefix__regex=r"^PA[0-9]{2}$"),
                name="company_prefix_format",
                violation_error_message=_("The customer code prefix is PA followed by two digits."),
            )
        ]

    def __str__(self):
        return self.name


class Branch(models.Model):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="branches"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    district = models.ForeignKey(
        AdminArea,
        verbose_name=_("district served"),
        on_delete=models.PROTECT,
        related_name="branches",
        limit_choices_to={"level": "district"},
    )

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self):
        return self.name


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
