"""Self-service password reset by email: the link works once, and says nothing of who exists."""

import re

import pytest
from django.core import mail

PASSWORD = "correct-horse-battery-staple"
NEW = "a-new-Password-for-2027"


@pytest.fixture
def manager(users):
    user = users["manager"]
    user.email = "quanly@pchg.example.vn"
    user.save()
    return user


def _link(message):
    return re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body)[1]


def test_the_login_page_offers_the_reset(client, db):
    assert "/accounts/password-reset/" in client.get("/accounts/login/").content.decode()


def test_a_user_resets_the_password_through_the_emailed_link(client, manager):
    response = client.post("/accounts/password-reset/", {"email": manager.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert "Chọn mật khẩu mới" in message.subject  # Vietnamese, as the whole interface

    form = client.get(_link(message), follow=True)
    assert "Chọn mật khẩu mới" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )

    assert "Đã đổi mật khẩu" in done.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(NEW)


def test_the_link_works_only_once(client, manager):
    client.post("/accounts/password-reset/", {"email": manager.email})
    link = _link(mail.outbox[0])
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    again = client.get(link, follow=True)

    assert "không hợp lệ" in again.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(NEW)


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, manager):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.vn"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)


def test_a_forged_link_changes_nothing(client, manager):
    response = client.get("/accounts/reset/MQ/forged-token/", follow=True)

    assert "không hợp lệ" in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
