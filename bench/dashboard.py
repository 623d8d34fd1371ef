"""Server time of every dashboard page and JSON endpoint on the provincial-scale database, and the
overview's page weight.

    python -m bench.dashboard [--requests 200]

Each URL is requested N times with Django's test client, logged in as a manager, after a few
warm-up requests; prints median and p95 in ms against the target (p95 <= 150 ms), and the ratio
to a baseline measured in the same run (the login page: a template and a session, no data).
Then the overview's weight: HTML + CSS + JS, each gzipped, against the 250 KB target.

Everything runs in one transaction that is rolled back at the end: the benchmark's user and
its session never stay in the benchmark database.
"""

import argparse
import gzip
import statistics
import time

from bench.common import setup

TARGET_P95_MS = 150
TARGET_WEIGHT_KB = 250
WARM_UP = 5


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def manager_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from adoption.choices import Role
    from adoption.models import Company, StaffProfile

    user, created = User.objects.get_or_create(username="bench-manager")
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=Role.MANAGERS.value))
    StaffProfile.objects.get_or_create(user=user, defaults={"company": Company.objects.first()})
    client = Client()
    client.force_login(user)
    return client


def time_url(client, url, requests):
    from django.db import reset_queries

    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
        reset_queries()  # DEBUG keeps every query otherwise
    return statistics.median(timings), percentile(timings, 0.95)


def page_weight(client):
    """Gzipped bytes of the overview's HTML, its stylesheets and its scripts."""
    import re

    from django.contrib.staticfiles import finders

    html = client.get("/").content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
    parts = [("HTML /", len(gzip.compress(html)))]
    for asset in assets:
        path = finders.find(asset.decode())
        with open(path, "rb") as file:
            parts.append((asset.decode(), len(gzip.compress(file.read()))))
    return parts


def place_communes():
    """The benchmark's communes have no coordinates: give them a grid over Hà Giang (inside the
    rolled-back transaction), so the map page draws a circle for each."""
    from adoption.models import AdminArea

    communes = AdminArea.objects.filter(level="commune", latitude__isnull=True).order_by("pk")
    for index, area in enumerate(communes):
        area.latitude = 22.3 + (index // 15) * 0.06
        area.longitude = 104.4 + (index % 15) * 0.06
        area.save(update_fields=["latitude", "longitude"])


class RolledBack(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup()

    from django.db import transaction

    try:
        with transaction.atomic():
            run(args)
            raise RolledBack
    except RolledBack:
        pass


def run(args):
    from django.test import Client

    from adoption import metrics
    from adoption.models import Branch, CommuneMonth

    client = manager_client()
    place_communes()
    branch = Branch.objects.order_by("code").first()
    commune = CommuneMonth.objects.filter(branch=branch).values_list("commune_id", flat=True)[0]
    branch = branch.code
    print(
        f"database: {CommuneMonth.objects.count():,} commune-month rows, latest month "
        f"{metrics.latest_period():%m/%Y}; {args.requests} requests per URL"
    )
    baseline_median, baseline_p95 = time_url(Client(), "/accounts/login/", args.requests)
    print(f"baseline /accounts/login/: median {baseline_median:.1f} ms, p95 {baseline_p95:.1f} ms")
    urls = [
        "/",
        "/?mix=partner",
        f"/branches/{branch}/",
        f"/branches/{branch}/communes/{commune}/",
        "/map/",
        "/channels/",
        "/charts/adoption/",
        "/charts/channel-mix/",
        "/charts/channel-mix/?by=partner",
        f"/charts/branches/{branch}/",
        "/charts/partners/",
        "/?_export=csv",
    ]
    print(f"{'URL':36} {'median':>9} {'p95':>9} {'p95/base':>9}  target p95 <= {TARGET_P95_MS} ms")
    worst = 0
    for url in urls:
        median, p95 = time_url(client, url, args.requests)
        worst = max(worst, p95)
        verdict = "ok" if p95 <= TARGET_P95_MS else "OVER"
        print(f"{url:36} {median:7.1f}ms {p95:7.1f}ms {p95 / baseline_p95:8.1f}x  {verdict}")
    print(f"worst p95: {worst:.1f} ms ({'within' if worst <= TARGET_P95_MS else 'over'} target)")

    parts = page_weight(client)
    for name, size in parts:
        print(f"  {name:40} {size / 1024:7.1f} KB gzipped")
    total = sum(size for _, size in parts) / 1024
    verdict = "within" if total <= TARGET_WEIGHT_KB else "over"
    print(f"overview page weight: {total:.1f} KB gzipped ({verdict} {TARGET_WEIGHT_KB} KB)")


if __name__ == "__main__":
    main()
