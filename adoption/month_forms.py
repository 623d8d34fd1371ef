"""The one form field that reads a month, and the one month-range form: the dashboard filters,
the outreach reports and plans, and the admin's changes that apply from a month."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .months import month_count, month_label, parse_day, parse_month


class MonthField(forms.Field):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day.

    A whole date on the first of a month is that month; one in the middle of a month is refused
    with the reason (error "mid_month", which a form may word for its own case).
    """

    widget = forms.DateInput(format="%Y-%m", attrs={"type": "month", "placeholder": "YYYY-MM"})
    default_error_messages = {
        "invalid": _("Enter a month as YYYY-MM, e.g. 2025-07."),
        "mid_month": _("%(date)s is in the middle of %(month)s. Enter a month as YYYY-MM."),
    }

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        month = parse_month(value)
        if month is not None:
            return month
        day = parse_day(value)
        if day is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if day.day != 1:
            raise forms.ValidationError(
                self.error_messages["mid_month"]
                % {"date": f"{day:%d/%m/%Y}", "month": month_label(day)},
                code="mid_month",
            )
        return day


class MonthRangeForm(forms.Form):
    """A range of months, start..end, both optional (GET); subclasses add their own fields.

    defaults=(start, end): the months shown where the query string names none.
    """

    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    max_months = None

    def __init__(self, data, *args, defaults=(None, None), **kwargs):
        self.defaults = dict(zip(("start", "end"), defaults, strict=True))
        data = data.copy()
        for name, month in self.defaults.items():
            if month and not data.get(name):
                data[name] = f"{month:%Y-%m}"
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The first month is after the last month."))
        if self.max_months and start and end and month_count(start, end) > self.max_months:
            raise forms.ValidationError(
                _("Choose at most %(months)d months.") % {"months": self.max_months}
            )
        return cleaned

    def chosen(self):
        """{"start", "end", and the subclass's fields}: what is valid, the defaults elsewhere."""
        self.is_valid()  # what is invalid is left out, and said on the form
        return {**self.defaults, **{k: v for k, v in self.cleaned_data.items() if v is not None}}
