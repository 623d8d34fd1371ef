"""The dashboard filter: month range, customer types, channel kinds and the view of history
("as it was" or "as it is now", see docs/metrics.md), all in the query string.

The rollups are read through adoption.metrics rather than as querysets, so this is a plain
form rather than a django-filter FilterSet; it yields a `Scope` that every page, chart and table
of one request shares, and `Scope.query()` writes it back as a shareable query string.
"""

from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ChannelKind, CustomerType
from .month_forms import MonthRangeForm
from .months import add_months, this_month

DEFAULT_MONTHS = 24
# Ten years of months is already more than a chart can show legibly.
MAX_MONTHS = 120


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    customer_types: list = field(default_factory=list)
    channel_kinds: list = field(default_factory=list)
    view: str = "was"

    @property
    def names_on(self):
        """The month whose names label the figures: the last one shown as it was, today as it is
        now."""
        return timezone.localdate() if self.view == "now" else self.end

    def query(self, **extra):
        """This scope as a query string, so a link or a JSON URL shows the same thing."""
        query = QueryDict(mutable=True)
        query["start"] = f"{self.start:%Y-%m}"
        query["end"] = f"{self.end:%Y-%m}"
        query.setlist("customer_type", self.customer_types)
        query.setlist("channel_kind", self.channel_kinds)
        # The default view stays out, so links made before the switch existed still match.
        if self.view != "was":
            query["view"] = self.view
        for key, value in extra.items():
            if value:
                query[key] = value
        return query.urlencode()


class DashboardFilterForm(MonthRangeForm):
    max_months = MAX_MONTHS
    customer_type = forms.MultipleChoiceField(
        label=_("Customer type"),
        choices=CustomerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel_kind = forms.MultipleChoiceField(
        label=_("Channel kind"),
        choices=ChannelKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    view = forms.ChoiceField(
        label=_("Group history"),
        choices=[("was", _("As it was")), ("now", _("As it is now"))],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, data, *, latest=None):
        # latest: returns the newest month with data, where the default range ends; called
        # only when the query string names no last month.
        super().__init__(data)
        self.latest = latest or (lambda: None)

    def scope(self):
        """The chosen scope; defaults (the last 24 months with data) where a field is invalid."""
        cleaned = self.cleaned_data if self.is_valid() else {}
        end = cleaned.get("end") or self.latest() or this_month()
        start = cleaned.get("start") or add_months(end, 1 - DEFAULT_MONTHS)
        # Only one end was given and it lies beyond the default other end.
        end = max(end, start)
        start = max(start, add_months(end, 1 - MAX_MONTHS))
        return Scope(
            start=start,
            end=end,
            customer_types=sorted(cleaned.get("customer_type") or []),
            channel_kinds=sorted(cleaned.get("channel_kind") or []),
            view=cleaned.get("view") or "was",
        )
