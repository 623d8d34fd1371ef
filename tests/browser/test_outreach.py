"""Branch staff record outreach from a phone-sized screen (360×740)."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from adoption.models import OutreachActivity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 360, "height": 740}}


@pytest.fixture
def entry_page(login_page, users, customers, channels):
    page = login_page(users["staff_bq"], next_url="/outreach/new")
    expect(page.locator("h1")).to_be_visible()
    return page


def fill_entry(page, households="30", registrations="8"):
    page.fill("#place-search", "khiem")
    page.select_option("#id_place", label="Thôn Khiềm (Xã Tân Quang)")
    page.select_option("#id_partner", label="Viettel")
    page.fill("#id_households_reached", households)
    page.fill("#id_registrations", registrations)
    page.fill("#id_barrier_no_smartphone", "5")
    page.fill("#id_customer_codes", "PA20BQ0000002")


def drafts(page):
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('powerco.outreach.draft.'))"
    )


def test_staff_record_an_activity_and_see_it_in_the_list(entry_page, areas):
    page = entry_page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.fill("#place-search", "khiem")
    # Typed without tones, the list narrows to the one village, which is chosen.
    expect(page.locator("#id_place option")).to_have_count(2)
    expect(page.locator("#id_place")).to_have_value(str(areas["village"].pk))
    fill_entry(page)
    page.click("#outreach-submit")

    page.wait_for_url(re.compile(r"/outreach/\?month="))
    activity = OutreachActivity.objects.get()
    row = page.locator(f"#activity-{activity.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Thôn Khiềm")
    expect(page.locator("#total-households")).to_have_text("30")
    assert activity.registered_customers.get().customer.code == "PA20BQ0000002"
    assert drafts(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_double_click_on_submit_makes_one_record(entry_page):
    page = entry_page
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    fill_entry(page)
    page.dblclick("#outreach-submit")
    page.wait_for_url(re.compile(r"/outreach/\?month="))
    page.wait_for_load_state("networkidle")
    assert OutreachActivity.objects.count() == 1
    assert len(posts) == 1


def test_the_submit_button_is_disabled_while_the_form_is_on_its_way(entry_page):
    page = entry_page
    page.route("**/outreach/new", lambda route: None)  # the answer never comes: a slow network
    fill_entry(page)
    # Read in the same task as the click: the page is about to navigate away.
    disabled, label = page.evaluate(
        """() => {
            const button = document.getElementById("outreach-submit");
            button.click();
            return [button.disabled, button.textContent];
        }"""
    )
    assert disabled is True
    assert label == "Đang gửi…"


def test_the_same_form_posted_twice_at_once_makes_one_record(entry_page):
    """Two requests do reach the server (a retry, a second tab): the token keeps one."""
    page = entry_page
    fill_entry(page)
    statuses = page.evaluate(
        """async () => {
            const form = document.getElementById("outreach-form");
            const send = () => fetch(location.href, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.redirected);
        }"""
    )
    assert statuses == [True, True]
    assert OutreachActivity.objects.count() == 1


def test_a_place_from_another_branch_is_refused(entry_page, areas):
    page = entry_page
    fill_entry(page)
    other = areas["yen_binh"].pk
    page.evaluate(
        f"() => {{ const s = document.getElementById('id_place');"
        f" s.add(new Option('Yên Bình', '{other}')); s.value = '{other}'; }}"
    )
    page.click("#outreach-submit")
    page.wait_for_load_state()

    with translation.override("vi"):
        message = gettext("This place is not in your branch's area.")
    expect(page.locator("#id_place").locator("xpath=..").locator(".errorlist")).to_contain_text(
        message
    )
    assert OutreachActivity.objects.count() == 0
    # What was typed is still there.
    expect(page.locator("#id_households_reached")).to_have_value("30")


def test_an_entry_typed_but_not_saved_is_kept_and_sent_again(entry_page, live_server):
    """The page closed (or the phone switched off) before Save: the draft comes back."""
    page = entry_page
    fill_entry(page, households="44", registrations="4")
    page.goto(f"{live_server.url}/outreach/new")
    expect(page.locator("#draft-banner")).to_be_visible()
    expect(page.locator("#id_households_reached")).to_have_value("44")
    page.click("#draft-send")

    page.wait_for_url(re.compile(r"/outreach/\?month="))
    assert OutreachActivity.objects.get().households_reached == 44
    assert drafts(page) == []
    page.goto(f"{live_server.url}/outreach/new")
    expect(page.locator("#draft-banner")).to_be_hidden()


# Offline first: the service worker keeps the pages, IndexedDB the entries.


def vi(message):
    with translation.override("vi"):
        return gettext(message)


def wait_until_kept_offline(page):
    """The service worker controls the page and holds its copy of the entry form."""
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    page.wait_for_function(
        "() => caches.match('/outreach/new', {ignoreVary: true}).then(kept => !!kept)"
    )


def pending(page):
    return page.evaluate("window.powercoOutreachQueue.entries()")


def test_entries_saved_offline_are_sent_once_when_the_connection_returns(
    entry_page, live_server, users
):
    page = entry_page
    wait_until_kept_offline(page)
    page.context.set_offline(True)

    for count, households in enumerate(["11", "12", "13"], start=1):
        fill_entry(page, households=households, registrations="2")
        page.click("#outreach-submit")
        expect(page.locator("#pending-list > li")).to_have_count(count)
        expect(page.locator("#saved-offline")).to_be_visible()
    # The server will refuse this one: more registrations than households reached.
    fill_entry(page, households="3", registrations="9")
    page.click("#outreach-submit")
    expect(page.locator("#pending-list > li")).to_have_count(4)
    expect(page.locator("#pending-list")).to_contain_text(vi("not sent"))
    assert OutreachActivity.objects.count() == 0

    # Reloaded with no connection: the kept page, and the entries still waiting.
    page.reload()
    expect(page.locator("h1")).to_have_text(vi("New outreach activity"))
    expect(page.locator("#pending-list > li")).to_have_count(4)
    entries = pending(page)
    assert len({e["token"] for e in entries}) == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The first entry did reach the server once, but its answer was lost on the way back:
    # the phone still holds it as not sent and will send it again.
    first = entries[0]
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    lost = page.request.post(
        f"{live_server.url}/outreach/new",
        form=first["data"],
        headers={"X-CSRFToken": csrf},
        max_redirects=0,
    )
    assert lost.status == 302 and OutreachActivity.objects.count() == 1

    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.context.set_offline(False)
    page.evaluate(
        "() => { const q = window.powercoOutreachQueue; return Promise.all([q.sync(), q.sync()]); }"
    )
    expect(page.locator("#pending-list > li")).to_have_count(1)

    assert sorted(a.households_reached for a in OutreachActivity.objects.all()) == [11, 12, 13]
    tokens = {str(a.submission_token) for a in OutreachActivity.objects.all()}
    assert tokens == {e["token"] for e in entries[:3]}
    assert len(posts) == 4  # every entry sent once from the phone, the lost one again

    # The refused entry says why, and goes back into the form to be fixed.
    refused = page.locator("#pending-list > li.error")
    expect(refused).to_contain_text(vi("Registrations cannot exceed the households reached."))
    refused.locator(".pending-fix").click()
    expect(page.locator("#fix-banner")).to_be_visible()
    expect(page.locator("#id_households_reached")).to_have_value("3")
    expect(page.locator("#pending-list > li")).to_have_count(0)
    page.fill("#id_registrations", "2")
    page.click("#outreach-submit")
    page.wait_for_url(re.compile(r"/outreach/\?month="))
    assert OutreachActivity.objects.count() == 4
    assert (
        str(OutreachActivity.objects.get(households_reached=3).submission_token)
        == (entries[3]["token"])
    )

    # Sent again by hand afterwards (a second phone tab, a retry): still nothing twice.
    page.request.post(
        f"{live_server.url}/outreach/new", form=entries[1]["data"], headers={"X-CSRFToken": csrf}
    )
    assert OutreachActivity.objects.count() == 4


def test_the_list_page_shows_entries_waiting_on_the_phone(entry_page, live_server):
    page = entry_page
    wait_until_kept_offline(page)
    page.context.set_offline(True)
    fill_entry(page, households="21", registrations="2")
    page.click("#outreach-submit")
    expect(page.locator("#pending-list > li")).to_have_count(1)
    page.goto(f"{live_server.url}/outreach/")  # the kept copy of the list
    expect(page.locator("#pending-list > li")).to_contain_text(vi("not sent"))
    page.context.set_offline(False)
    expect(page.locator("#pending")).to_be_hidden()
    assert OutreachActivity.objects.get().households_reached == 21
