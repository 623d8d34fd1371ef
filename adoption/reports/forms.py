"""The manager's form to subscribe a user or an address to a unit's reports."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ..models import AdminArea, BranchTerritory, Cadence, Subscription
from .figures import Unit
from .recipients import governing_user, may_receive


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = [
            "user",
            "email",
            "branch",
            "commune",
            "cadence",
            "campaign_start",
            "campaign_end",
            "language",
            "alerts",
        ]
        widgets = {
            "campaign_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "campaign_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "branch": _("Empty: the whole company."),
            "commune": _("Optional: one commune of the branch."),
        }

    def __init__(self, *args, company, branches, manager, **kwargs):
        super().__init__(*args, **kwargs)
        self.company, self.manager = company, manager
        self.instance.company, self.instance.created_by = company, manager
        users = get_user_model().objects.filter(is_active=True)
        self.fields["user"].queryset = users.filter(staff_profile__company=company).order_by(
            "username"
        )
        self.fields["branch"].queryset = branches
        served = BranchTerritory.objects.filter(branch__in=branches).values("commune_id")
        self.fields["commune"].queryset = AdminArea.objects.filter(pk__in=served).order_by("name")

    def clean(self):
        cleaned = super().clean()
        user, email = cleaned.get("user"), cleaned.get("email")
        if bool(user) == bool(email):
            raise forms.ValidationError(_("Choose a user or write an address, not both."))
        if user and not user.email:
            self.add_error("user", _("This user has no email address."))
        branch, commune = cleaned.get("branch"), cleaned.get("commune")
        if commune and not branch:
            self.add_error("commune", _("Choose the branch of this commune too."))
        elif commune and not BranchTerritory.objects.filter(branch=branch, commune=commune):
            self.add_error("commune", _("This branch does not serve this commune."))
        if cleaned.get("cadence") == Cadence.WEEKLY:
            start, end = cleaned.get("campaign_start"), cleaned.get("campaign_end")
            if not start or not end:
                self.add_error("campaign_end", _("A weekly report needs the campaign's dates."))
            elif end < start:
                self.add_error("campaign_end", _("The campaign ends before it starts."))
        if not self.errors:
            self._check_recipient(user, email, branch, commune)
        return cleaned

    def _check_recipient(self, user, email, branch, commune):
        probe = Subscription(user=user, email=email or "", created_by=self.manager)
        unit = Unit(company=self.company, branch=branch, commune=commune)
        if not may_receive(governing_user(probe), unit):
            raise forms.ValidationError(
                _("This recipient's role does not allow this unit's figures.")
            )
