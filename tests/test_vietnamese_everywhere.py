"""The Vietnamese UI has no English left in the parts Django and third-party apps draw: form
errors, the admin's history pages, the login lockout, the CSRF page."""

from datetime import date

import pytest
from django import forms
from django.test import Client
from django.utils import translation

from adoption.models import Target


def test_form_errors_django_leaves_in_english_are_vietnamese():
    with translation.override("vi"):
        field = forms.DecimalField(step_size=5)
        with pytest.raises(forms.ValidationError) as error:
            field.clean("7")
        assert "bội số" in str(error.value)
        assert str(translation.gettext("Enter a valid JSON.")) == "Hãy nhập JSON hợp lệ."


def test_the_admin_history_page_is_vietnamese(client_for, users, company):
    target = Target.objects.create(company=company, period=date(2025, 12, 1), rate=45)
    response = client_for(users["admin"]).get(
        f"/admin/adoption/target/{target.pk}/history/", HTTP_ACCEPT_LANGUAGE="vi"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Lịch sử thay đổi" in page
    assert "Change history" not in page and "Changed by" not in page


def test_the_lockout_message_is_vietnamese():
    with translation.override("vi"):
        message = translation.gettext(
            "Account locked: too many login attempts. Please try again later."
        )
    assert message.startswith("Tài khoản bị khóa")


def test_the_csrf_failure_page_is_vietnamese(db, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Forbidden" not in page and "CSRF verification failed" not in page
    assert "Biểu mẫu đã hết hạn" in page
