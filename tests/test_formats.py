from datetime import date

import pytest
from django import forms
from django.utils import translation


class DateForm(forms.Form):
    day = forms.DateField()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dates_are_typed_day_first(language):
    with translation.override(language):
        form = DateForm({"day": "02/04/2024"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == date(2024, 4, 2)


def test_iso_dates_are_accepted_too():
    with translation.override("vi"):
        form = DateForm({"day": "2024-04-02"})
        assert form.is_valid()
        assert form.cleaned_data["day"] == date(2024, 4, 2)
