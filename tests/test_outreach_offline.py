"""The outreach service worker script and the offline parts of the entry pages (the browser
side is in tests/browser/test_outreach.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_worker_is_served_at_the_outreach_scope_without_a_session(client):
    response = client.get("/outreach/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/outreach/"
    assert response["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = response.content.decode()
    for kept in ["/outreach/new", "/outreach/", "/outreach/next/", "/static/adoption/outreach.js"]:
        assert f'"{kept}"' in script


def test_the_worker_holds_no_data_of_whoever_asks(client_for, users, branches, client):
    anonymous = client.get("/outreach/sw.js").content
    assert client_for(users["staff_bq"]).get("/outreach/sw.js").content == anonymous
    assert b"BQ" not in anonymous and b"staff_bq" not in anonymous


def test_the_entry_page_carries_what_the_offline_queue_needs_and_no_inline_script(
    client_for, users, branches, areas
):
    html = client_for(users["staff_bq"]).get("/outreach/new").content.decode()
    assert 'id="outreach-offline"' in html and 'data-sw="/outreach/sw.js"' in html
    assert f'data-user="{users["staff_bq"].pk}"' in html
    assert 'id="pending"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_the_offline_queue_is_for_entry_only(client_for, users, branches, areas):
    # Managers read the list but record nothing: no queue, nothing to send on their phone.
    html = client_for(users["manager"]).get("/outreach/").content.decode()
    assert 'id="outreach-offline"' not in html
