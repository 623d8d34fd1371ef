"""Forms shown outside the admin."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .area_labels import area_labels
from .choices import AreaLevel
from .models import BARRIER_FIELDS, Customer, OutreachActivity, OutreachPlan
from .models.customers import CUSTOMER_CODE_PATTERN
from .models.outreach import COUNT_FIELDS, MAX_COUNT, date_error, year_after, year_before
from .month_forms import MonthField, MonthRangeForm
from .permissions import branch_places

COUNT_MESSAGES = {
    "invalid": _("Enter a whole number, zero or more."),
    "min_value": _("Enter a whole number, zero or more."),
    "max_value": _("This number is too large."),
}
# Typed, pasted or scanned: one per line, or separated by spaces, commas or semicolons.
CODE_SEPARATORS = re.compile(r"[\s,;]+")
MAX_CODES = 500


class PlaceChoiceField(forms.ModelChoiceField):
    # {commune id: label}: two communes of one name in the list are told apart.
    labels = {}

    def offer(self, branch):
        """Today's communes and villages of the branch, names that repeat told apart."""
        communes, villages = branch_places(branch)
        self.queryset = (communes | villages).select_related("parent").order_by("level", "name")
        self.labels = area_labels(communes.select_related("parent"))

    def label_from_instance(self, obj):
        if obj.level == AreaLevel.VILLAGE:
            return f"{obj.name} ({self.labels.get(obj.parent_id, obj.parent.name)})"
        return self.labels.get(obj.pk, obj.name)


class CountField(forms.IntegerField):
    def __init__(self, label):
        super().__init__(
            label=label,
            min_value=0,
            max_value=MAX_COUNT,
            required=False,
            error_messages=COUNT_MESSAGES,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
        )

    def clean(self, value):
        # An empty count on a phone means none.
        value = super().clean(value)
        return 0 if value is None else value


class BranchPlaceForm(forms.ModelForm):
    """A record of a branch at one of its places on a day (an outreach activity, a planned
    visit): the place picked among the branch's communes and villages, the day from a date
    picker from first_day(today) to last_day(today), a partner or none."""

    # Each subclass widens the picker one way: outreach is recorded late, visits planned ahead.
    first_day = staticmethod(lambda today: today)
    last_day = staticmethod(lambda today: today)

    place = PlaceChoiceField(
        label=_("Commune or village"),
        queryset=None,
        error_messages={
            "required": _("Choose the commune or village."),
            "invalid_choice": _("This place is not in your branch's area."),
        },
    )

    def __init__(self, *args, branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        self.today = timezone.localdate()
        self.fields["place"].offer(branch)
        low, high = self.first_day(self.today), self.last_day(self.today)
        self.fields["date"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        self.fields["date"].widget = forms.DateInput(
            format="%Y-%m-%d",
            attrs={"type": "date", "min": low.isoformat(), "max": high.isoformat()},
        )
        self.fields["partner"].empty_label = _("No partner")
        if self.instance.pk:
            self.initial["place"] = self.instance.village_id or self.instance.commune_id

    def _post_clean(self):
        place = self.cleaned_data.get("place")
        if place is not None:
            is_village = place.level == AreaLevel.VILLAGE
            self.instance.commune = place.parent if is_village else place
            self.instance.village = place if is_village else None
        self.instance.branch = self.branch
        super()._post_clean()


class OutreachForm(BranchPlaceForm):
    """One outreach activity, recorded by branch staff for their own branch."""

    customer_codes = forms.CharField(
        label=_("Customer codes of registered households"),
        required=False,
        help_text=_("Optional. One per line, or separated by spaces or commas."),
        widget=forms.Textarea(
            attrs={"rows": 3, "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    first_day = staticmethod(year_before)

    class Meta:
        model = OutreachActivity
        fields = [
            "date",
            "place",
            "partner",
            "staff_names",
            "households_reached",
            "registrations",
            "accounts_opened",
            "gifts",
            *BARRIER_FIELDS,
            "customer_codes",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in COUNT_FIELDS:
            self.fields[name] = CountField(label=self.fields[name].label)
        if self.instance.pk:
            self.initial["customer_codes"] = "\n".join(
                self.instance.registered_customers.order_by("customer__code").values_list(
                    "customer__code", flat=True
                )
            )
        else:
            self.initial.setdefault("date", self.today)

    def place_options(self):
        """Communes with their villages under them, as the searchable list shows them."""
        places = list(self.fields["place"].queryset)
        chosen = str(self["place"].value() or "")
        villages = {}
        for place in places:
            if place.level == AreaLevel.VILLAGE:
                villages.setdefault(place.parent_id, []).append(place)
        options = []
        for commune in (p for p in places if p.level == AreaLevel.COMMUNE):
            for place in [commune, *villages.get(commune.pk, [])]:
                options.append(
                    {
                        "id": place.pk,
                        "label": self.fields["place"].label_from_instance(place),
                        "selected": str(place.pk) == chosen,
                    }
                )
        return options

    def clean_date(self):
        day = self.cleaned_data["date"]
        if self.instance.pk and day == self.instance.date:
            return day  # an edit within the 7 days keeps the date it was recorded with
        error = date_error(day, self.today)
        if error:
            raise forms.ValidationError(error)
        return day

    def clean_customer_codes(self):
        codes = list(
            dict.fromkeys(
                c.upper() for c in CODE_SEPARATORS.split(self.cleaned_data["customer_codes"]) if c
            )
        )
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(
                _("At most %(max)d customer codes per activity.") % {"max": MAX_CODES}
            )
        malformed = [c for c in codes if not re.match(CUSTOMER_CODE_PATTERN, c)]
        if malformed:
            raise forms.ValidationError(
                _("Not a customer code: %(codes)s. A code looks like PA20BQ0001234.")
                % {"codes": ", ".join(malformed)}
            )
        found = dict(
            Customer.objects.filter(code__in=codes, branch=self.branch).values_list("code", "pk")
        )
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No customer of your branch has this code: %(codes)s.")
                % {"codes": ", ".join(unknown)}
            )
        self.customer_ids = [found[c] for c in codes]
        return "\n".join(codes)

    def clean(self):
        cleaned = super().clean()
        reached = cleaned.get("households_reached")
        registrations = cleaned.get("registrations")
        if reached is not None and registrations is not None and registrations > reached:
            self.add_error(
                "registrations", _("Registrations cannot exceed the households reached.")
            )
        codes = getattr(self, "customer_ids", None)
        if codes and registrations is not None and len(codes) > registrations:
            self.add_error(
                "customer_codes",
                ngettext(
                    "%(codes)d customer code but only %(registrations)d registrations.",
                    "%(codes)d customer codes but only %(registrations)d registrations.",
                    len(codes),
                )
                % {"codes": len(codes), "registrations": registrations},
            )
        return cleaned

    def save_registrations(self, activity):
        """Make the activity's registered customers exactly the codes given."""
        wanted = set(self.customer_ids)
        existing = dict(activity.registered_customers.values_list("customer_id", "pk"))
        for customer_id in set(existing) - wanted:
            # One by one, so each removal is in the history.
            activity.registered_customers.get(pk=existing[customer_id]).delete()
        for customer_id in wanted - set(existing):
            activity.registered_customers.create(customer_id=customer_id)


class OutreachPeriodForm(MonthRangeForm):
    """Branch and months of the outreach report and plan pages (GET)."""

    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=None, required=False, to_field_name="code"
    )
    start = MonthField(label=_("From"), required=False)
    end = MonthField(label=_("To"), required=False)
    # As on the dashboard (docs/metrics.md): each month under the branch and commune of that
    # month, or regrouped onto today's.
    view = forms.ChoiceField(
        label=_("Group history"),
        choices=[("was", _("As it was")), ("now", _("As it is now"))],
        required=False,
        widget=forms.RadioSelect,
    )
    field_order = ["branch", "start", "end"]

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].empty_label = _("All branches")


class OutreachPlanForm(BranchPlaceForm):
    """A visit a branch plans: when, where, with which partner and staff."""

    class Meta:
        model = OutreachPlan
        fields = ["date", "place", "partner", "staff_names"]

    last_day = staticmethod(year_after)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < self.today:
            raise forms.ValidationError(_("A visit is planned for today or later."))
        if day > self.last_day(self.today):
            raise forms.ValidationError(_("A visit is planned at most a year ahead."))
        return day
