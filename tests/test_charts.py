"""Chart JSON views: their shape, nothing leaked, numbers equal the hand-worked fixture."""

import pytest
from django.conf import settings

from tests.dashboard_fixture import RANGE, make_dashboard_data

MONTHS_2024_01_TO_2025_01 = [f"{m:02d}/2024" for m in range(1, 13)] + ["01/2025"]
# Labels are 01/2024 ... 01/2025: index 9 is 10/2024, 11 is 12/2024, 12 is 01/2025.
OCT, DEC, JAN = 9, 11, 12


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def in_english(client):
    # Series labels are translated; the English ones read best in assertions.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def get_json(client, url, params=None, status=200):
    response = client.get(url, {**RANGE, **(params or {})})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def by_label(payload):
    return {dataset["label"]: dataset for dataset in payload["datasets"]}


def assert_only_chart_keys(payload):
    assert set(payload) == {"labels", "datasets"}
    every_length = {len(dataset["data"]) for dataset in payload["datasets"]}
    assert every_length == {len(payload["labels"])}


ALL_CHART_URLS = [
    "/charts/adoption/",
    "/charts/channel-mix/",
    "/charts/channel-mix/?by=partner",
    "/charts/branches/BQ/",
    "/charts/partners/",
    "/charts/partners/?measure=amount",
]


@pytest.mark.parametrize("url", ALL_CHART_URLS)
def test_it_sends_labels_and_datasets_and_nothing_else(client_for, users, data, url):
    path, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&")) if query else {}
    response = client_for(users["manager"]).get(path, {**RANGE, **params})
    body = response.content.decode()
    payload = response.json()
    assert_only_chart_keys(payload)
    # django-chartjs's default context carries the view object and the URL kwargs.
    assert "object at 0x" not in body
    assert '"view"' not in body
    assert '"code"' not in body
    assert payload["labels"] == MONTHS_2024_01_TO_2025_01


def test_adoption_chart_numbers_equal_the_fixture(client_for, users, data):
    payload = get_json(client_for(users["manager"]), "/charts/adoption/")
    series = by_label(payload)
    assert list(series) == ["Huyện Bắc Quang", "Huyện Quang Bình", "Whole company", "Target"]
    bq, qb = series["Huyện Bắc Quang"]["data"], series["Huyện Quang Bình"]["data"]
    company = series["Whole company"]["data"]
    assert (bq[0], bq[OCT], bq[DEC], bq[JAN]) == (22.5, 38.5, 42.5, 46.0)
    assert (qb[0], qb[OCT], qb[DEC], qb[JAN]) == (9.5, 15.0, 17.5, 20.0)
    assert (company[0], company[DEC], company[JAN]) == (16.0, 30.0, 33.0)
    # 107 of 400 customers in 10/2024.
    assert company[OCT] == 26.75
    # Months without rows are gaps, not zero adoption.
    assert bq[1] is None and company[5] is None
    # The company's first target (40 % by 06/2025) covers its own year only: 2024 has none.
    assert series["Target"]["data"] == [None] * 12 + [40.0]


def test_adoption_chart_draws_the_company_bold_and_the_target_dashed(client_for, users, data):
    series = by_label(get_json(client_for(users["manager"]), "/charts/adoption/"))
    assert series["Whole company"]["borderWidth"] > 2
    assert "borderWidth" not in series["Huyện Bắc Quang"]
    assert series["Target"]["borderDash"]


def test_adoption_chart_follows_the_customer_type(client_for, users, data):
    payload = get_json(
        client_for(users["manager"]), "/charts/adoption/", {"customer_type": "business"}
    )
    series = by_label(payload)
    # Only Tân Quang has business customers: 30 of 40.
    assert series["Huyện Bắc Quang"]["data"][JAN] == 75.0
    assert series["Huyện Quang Bình"]["data"] == [None] * 13
    assert series["Whole company"]["data"][JAN] == 75.0


def test_adoption_chart_follows_the_month_range(client_for, users, data):
    payload = get_json(
        client_for(users["manager"]), "/charts/adoption/", {"start": "2024-12", "end": "2025-01"}
    )
    assert payload["labels"] == ["12/2024", "01/2025"]
    assert by_label(payload)["Huyện Bắc Quang"]["data"] == [42.5, 46.0]


def test_channel_mix_by_kind_stacks_payments_per_kind(client_for, users, data):
    series = by_label(get_json(client_for(users["manager"]), "/charts/channel-mix/"))
    assert list(series) == [
        "Bank transfer",
        "E-wallet or payment intermediary",
        "Power company counter",
        "Cash collector",
    ]
    assert series["E-wallet or payment intermediary"]["data"][DEC:] == [35, 80]
    assert series["Cash collector"]["data"][DEC:] == [165, 160]
    assert series["Bank transfer"]["data"][:DEC] == [0] * DEC
    assert all(dataset["stack"] == "mix" for dataset in series.values())


def test_channel_mix_by_partner_and_for_one_branch(client_for, users, data):
    client = client_for(users["manager"])
    series = by_label(get_json(client, "/charts/channel-mix/", {"by": "partner"}))
    assert series["Viettel"]["data"][DEC:] == [35, 80]
    bq_only = by_label(get_json(client, "/charts/channel-mix/", {"by": "partner", "branch": "BQ"}))
    assert bq_only["Viettel"]["data"][DEC:] == [35, 40]
    assert "Thu ngân viên" not in bq_only


def test_channel_mix_follows_the_channel_kind(client_for, users, data):
    payload = get_json(
        client_for(users["manager"]), "/charts/channel-mix/", {"channel_kind": "ewallet"}
    )
    assert list(by_label(payload)) == ["E-wallet or payment intermediary"]


def test_branch_chart_has_communes_branch_target_and_outreach(client_for, users, data):
    series = by_label(get_json(client_for(users["staff_bq"]), "/charts/branches/BQ/"))
    assert list(series) == [
        "Thị trấn Việt Quang",
        "Xã Tân Quang",
        "Huyện Bắc Quang",
        "Target",
        "Outreach activities",
    ]
    assert series["Thị trấn Việt Quang"]["data"][JAN] == 50.0
    assert series["Xã Tân Quang"]["data"][OCT] == 37.0
    assert series["Xã Tân Quang"]["data"][JAN] == 42.0
    assert series["Target"]["data"][JAN] == 60.0  # the branch's own target
    outreach = series["Outreach activities"]
    assert outreach["type"] == "bar" and outreach["yAxisID"] == "outreach"
    # Two activities in 12/2024 and one in 01/2025; Quang Bình's activity is not here.
    assert outreach["data"] == [0] * 11 + [2, 1]


def test_partner_chart_counts_payments_or_amounts(client_for, users, data):
    client = client_for(users["manager"])
    payments = by_label(get_json(client, "/charts/partners/"))
    assert payments["Thu ngân viên"]["data"][DEC:] == [165, 160]
    amounts = by_label(get_json(client, "/charts/partners/", {"measure": "amount"}))
    assert amounts["Viettel"]["data"][DEC:] == [10_500_000, 22_000_000]
    # A partner with no payments in the range draws no line.
    assert len(payments) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-13"},
        {"start": "January"},
        {"start": "2025-02", "end": "2025-01"},
        {"start": "2000-01", "end": "2025-01"},
        {"customer_type": "alien"},
        {"channel_kind": "barter"},
    ],
)
def test_it_refuses_a_bad_filter_with_400(client_for, users, data, params):
    payload = get_json(client_for(users["manager"]), "/charts/adoption/", params, status=400)
    assert set(payload) == {"errors"}


@pytest.mark.parametrize(
    "url", ["/charts/channel-mix/?by=colour", "/charts/partners/?measure=weight"]
)
def test_it_refuses_an_unknown_option_with_400(client_for, users, data, url):
    path, _, query = url.partition("?")
    key, value = query.split("=")
    get_json(client_for(users["manager"]), path, {key: value}, status=400)


def test_branch_staff_get_404_for_another_branch_json(client_for, users, data):
    client = client_for(users["staff_bq"])
    assert client.get("/charts/branches/QB/", RANGE).status_code == 404
    assert client.get("/charts/channel-mix/", {**RANGE, "branch": "QB"}).status_code == 404
    assert client.get("/charts/branches/BQ/", RANGE).status_code == 200


def test_branch_staff_get_only_their_branch_in_the_channel_charts(client_for, users, data):
    client = client_for(users["staff_qb"])
    series = by_label(get_json(client, "/charts/partners/"))
    assert series["Viettel"]["data"][JAN] == 40  # Quang Bình's 40, not the company's 80
    assert "Agribank" not in series


def test_branch_staff_are_refused_the_company_chart(client_for, users, data):
    assert client_for(users["staff_bq"]).get("/charts/adoption/", RANGE).status_code == 403


@pytest.mark.parametrize("url", [u.partition("?")[0] for u in ALL_CHART_URLS])
def test_outsiders_and_anonymous_users_are_refused_every_json(client, client_for, users, url):
    assert client.get(url).status_code == 403
    assert client_for(users["outsider"]).get(url).status_code in (403, 404)


def test_an_unknown_branch_json_is_404(client_for, users, data):
    assert client_for(users["manager"]).get("/charts/branches/NOPE/").status_code == 404


@pytest.mark.parametrize("url", ALL_CHART_URLS)
def test_each_json_view_runs_a_handful_of_queries(
    client_for, users, data, url, django_assert_max_num_queries
):
    client = client_for(users["manager"])
    path, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&")) if query else {}
    # One of them reads the months still open, which the chart draws as provisional.
    with django_assert_max_num_queries(13):
        assert client.get(path, {**RANGE, **params}).status_code == 200


def test_series_labels_are_translated(client, client_for, users, data):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    series = by_label(get_json(client_for(users["manager"]), "/charts/adoption/"))
    assert "Toàn công ty" in series and "Mục tiêu" in series


def test_the_company_line_adds_up_the_branches_like_metrics_does(data, branches):
    from datetime import date

    from adoption import metrics
    from adoption.area_rows import totals_by_period

    span = {"start": date(2024, 1, 1), "end": date(2025, 1, 1)}
    summed = totals_by_period(metrics.monthly_rates(group="branch", **span))
    assert summed == metrics.monthly_rates(group="company", **span)
