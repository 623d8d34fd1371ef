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


def test_an_entry_typed_offline_is_kept_and_sent_again(entry_page, live_server):
    page = entry_page
    fill_entry(page, households="44", registrations="4")
    page.context.set_offline(True)
    page.click("#outreach-submit")
    page.wait_for_timeout(500)
    page.context.set_offline(False)
    assert OutreachActivity.objects.count() == 0

    page.goto(f"{live_server.url}/outreach/new")
    expect(page.locator("#draft-banner")).to_be_visible()
    expect(page.locator("#id_households_reached")).to_have_value("44")
    page.click("#draft-send")

    page.wait_for_url(re.compile(r"/outreach/\?month="))
    assert OutreachActivity.objects.get().households_reached == 44
    assert drafts(page) == []
    page.goto(f"{live_server.url}/outreach/new")
    expect(page.locator("#draft-banner")).to_be_hidden()
