"""Build the whole Hà Giang scenario in one transaction, from January 2019 to an end month.

Deterministic for a given seed and end month: every part draws from its own random.Random
seeded with the seed and the part's name, so the same seed and end month give the same rows,
and changing one part (say, outreach) does not reshuffle another (payments).
"""

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .. import partitions
from ..areas_loader import REFORM_DATE, load_areas
from ..choices import AreaLevel, ImportKind, ImportStatus
from ..models import (
    AdminArea,
    Customer,
    ImportBatch,
    Partner,
    Payment,
    PaymentChannel,
    Target,
)
from ..territory import place_new_customers
from .customers import adoption_curve, calibrate, make_profiles
from .logins import create_logins
from .names import village_names
from .organisation import create_organisation, reorganise
from .outreach import create_outreach, create_this_months_outreach
from .payments import ChannelChooser, assign_channels, write_payments
from .scenario import (
    BRANCH_TARGET_CEILING,
    BRANCH_TARGET_STEP,
    CHANNELS,
    COMPANY_TARGETS,
    EARLIEST_END,
    LAST_TARGET_YEAR,
    PARTNERS,
    PROVINCE,
    SUCCESSOR_TARGETS,
    last_complete_month,
    month_index,
    period,
)

MIN_CUSTOMERS_PER_BRANCH = 20


@dataclass
class SeedReport:
    until: date = None
    steps: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    moved_by_calibration: int = 0
    to_review: int = 0  # customers of communes split by the reform, in the default successor

    def lines(self):
        for name, seconds in self.steps:
            yield f"  {name:<12} {seconds:6.1f} s  {self.counts.get(name, ''):>12}"


class _Clock:
    def __init__(self, report, log):
        self.report, self.log, self.started = report, log, time.perf_counter()

    def lap(self, name, count=None):
        now = time.perf_counter()
        self.report.steps.append((name, now - self.started))
        if count is not None:
            self.report.counts[name] = f"{count:,}"
        self.log(f"{name}: {count if count is not None else 'done'} ({now - self.started:.1f} s)")
        self.started = now


def _rng(seed, *parts):
    return random.Random(":".join(map(str, (seed, *parts))))


def _is_town(name):
    return name.startswith(("Phường", "Thị trấn"))


def _villages(seed, districts):
    """A few thôn/bản (or tổ dân phố) per commune; {commune id: [village ids]}."""
    rng = _rng(seed, "villages")
    communes = AdminArea.objects.filter(
        level=AreaLevel.COMMUNE, valid_from=None, parent__in=districts
    ).order_by("code")
    new = []
    for commune in communes:
        count = rng.randint(3, 6) if _is_town(commune.name) else rng.randint(4, 10)
        for name in village_names(rng, commune.name, count):
            new.append(AdminArea(level=AreaLevel.VILLAGE, name=name, parent=commune))
    AdminArea.objects.bulk_create(new, batch_size=1000)
    villages = {c.pk: [] for c in communes}
    for pk, parent_id in (
        AdminArea.objects.filter(level=AreaLevel.VILLAGE, parent__in=communes)
        .order_by("parent_id", "id")
        .values_list("pk", "parent_id")
    ):
        villages[parent_id].append(pk)
    return communes, villages


def _on(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _channels(end):
    partners = {
        p.code: Partner.objects.create(code=p.code, name=p.name, website=p.website)
        for p in PARTNERS
    }
    ids = {}
    for c in CHANNELS:
        channel = PaymentChannel(
            code=c.code,
            name=c.first_name,
            kind=c.kind,
            is_cash=c.is_cash,
            partner=partners.get(c.partner),
            contract_start=c.contract_start,
            fee_per_transaction=c.fee,
        )
        # The change history reads as the story happened: created at the contract start,
        # renamed on the day of the rename.
        channel._history_date = _on(c.contract_start)
        channel.save()
        for day, name in c.renamed[1:]:
            if day <= end:
                channel.name, channel._history_date = name, _on(day)
                channel.save()
        ids[c.code] = channel.pk
    return partners, ids


def _customers(seed, scale, branches, communes, villages, months):
    """Profiles per branch, calibrated, and their Customer rows; {branch code: profiles}."""
    by_branch, moved = {}, 0
    for plan, branch in branches:
        own = [
            (c.pk, c.name, _is_town(c.name)) for c in communes if c.parent_id == branch.district_id
        ]
        count = max(MIN_CUSTOMERS_PER_BRANCH, round(plan.customers * scale))
        rng = _rng(seed, "customers", plan.code)
        profiles = make_profiles(plan, own, villages, count, rng, months)
        curve = adoption_curve(plan, _rng(seed, "curve", plan.code), months)
        moved += calibrate(profiles, curve, plan.rate_oct_2021 / 100)
        by_branch[plan.code] = profiles
    rows = [
        Customer(
            code=p.code,
            name=p.name,
            branch_id=branch.pk,
            commune_id=p.commune_id,
            village_id=p.village_id,
            customer_type=p.customer_type,
            connected_on=p.connected_on,
            disconnected_on=p.disconnected_on,
        )
        for plan, branch in branches
        for p in by_branch[plan.code]
    ]
    Customer.objects.bulk_create(rows, batch_size=5000)
    ids = dict(Customer.objects.values_list("code", "pk"))
    place_new_customers(ids.values())
    for profiles in by_branch.values():
        for p in profiles:
            p.id = ids[p.code]
    return by_branch, moved


def branch_targets(plan):
    """A branch's December targets, {year: percent}: its own for 2021 and 2022, then rising."""
    targets = {2021: plan.target_dec_2021, 2022: plan.target_dec_2022}
    for year in range(2023, LAST_TARGET_YEAR + 1):
        targets[year] = min(BRANCH_TARGET_CEILING, targets[year - 1] + BRANCH_TARGET_STEP)
    return targets


def _targets(company, branches, company_targets, branch_years, end):
    """The company's targets and its branches' for these years, each dated December of its
    year (the year it covers); only years the demo reaches get one."""
    targets = [
        Target(company=company, period=p, rate=Decimal(r))
        for p, r in company_targets
        if p.year <= end.year
    ]
    for plan, branch in branches:
        targets += [
            Target(company=company, branch=branch, period=date(year, 12, 1), rate=rate)
            for year, rate in branch_targets(plan).items()
            if year in branch_years and year <= end.year
        ]
    Target.objects.bulk_create(targets)
    return len(targets)


def _after_reform(profiles, branches):
    """Each profile's branch code, commune and village from the reform on (for outreach)."""
    codes = {branch.pk: plan.code for plan, branch in branches}
    places = {
        pk: (codes[branch_id], commune_id, village_id)
        for pk, branch_id, commune_id, village_id in Customer.objects.values_list(
            "pk", "branch_id", "commune_id", "village_id"
        )
    }
    for branch_profiles in profiles.values():
        for p in branch_profiles:
            p.after = places[p.id]


def check_until(until, today):
    """Why `until` cannot end the demo, or None: from December 2021 to last month."""
    last = last_complete_month(today)
    if until < EARLIEST_END:
        return f"The demo ends in {EARLIEST_END:%m/%Y} at the earliest, not {until:%m/%Y}."
    if until > last:
        return (
            f"The demo ends in a complete month, {last:%m/%Y} at the latest on "
            f"{today:%d/%m/%Y}, not {until:%m/%Y}."
        )
    return None


@transaction.atomic
def seed(scale=1.0, seed=1, until=None, log=lambda line: None, fast=True):
    """Seed an empty database with the scenario at `scale` (1 = the real province), from
    January 2019 to the month `until` (a first day; default: the last complete month).

    fast=False writes payments without PostgreSQL's COPY: only benchmarks want that.
    """
    today = timezone.localdate()
    until = last_complete_month(today) if until is None else until
    if problem := check_until(until, today):
        raise ValueError(problem)
    months = month_index(until) + 1
    report = SeedReport(until=until)
    clock = _Clock(report, log)
    load_areas(PROVINCE)
    province = AdminArea.objects.get(level=AreaLevel.PROVINCE, code="02", valid_from=None)
    company, branches, districts = create_organisation(province)
    communes, villages = _villages(seed, districts.values())
    clock.lap("areas", len(communes))
    partners, channel_ids = _channels(until)
    profiles, report.moved_by_calibration = _customers(
        seed, scale, branches, communes, villages, months
    )
    clock.lap("customers", sum(map(len, profiles.values())))
    current_company = company
    if until >= REFORM_DATE:
        current_company, reform = reorganise(company, branches, communes)
        _after_reform(profiles, branches)
        report.to_review = len(reform.to_review)
        clock.lap("reform", reform.moved)

    _partitions(months)
    label = f"seed_demo --scale {scale:g} --seed {seed} --until {until:%Y-%m}"
    everyone = [p for plan, _ in branches for p in profiles[plan.code]]
    written = _payments(label, everyone, ChannelChooser(channel_ids, months), seed, fast)
    clock.lap("payments", written)

    branches_by_code = {plan.code: branch for plan, branch in branches}
    users = create_logins(current_company, branches_by_code)
    staff = {"BQ": users["bacquang"]}
    activities = create_outreach(
        _rng(seed, "outreach"), branches, profiles, partners, staff, months
    )
    if until == last_complete_month(today):
        activities += create_this_months_outreach(
            _rng(seed, "outreach this month"), branches, profiles, partners, staff, months, today
        )
    clock.lap("outreach", activities)
    targets = _targets(company, branches, COMPANY_TARGETS, range(2021, 2025), until)
    if current_company != company:
        years = range(REFORM_DATE.year, LAST_TARGET_YEAR + 1)
        targets += _targets(current_company, branches, SUCCESSOR_TARGETS, years, until)
    clock.lap("targets", targets)
    _analyze()
    clock.lap("statistics")
    return report


def _payments(label, everyone, chooser, seed, fast):
    """Every customer's channels and payments, in one import batch named `label`; returns how
    many payments were written."""
    batch = ImportBatch.objects.create(
        kind=ImportKind.PAYMENTS,
        file_name=label,
        # Generated, not read from a file: the checksum names the generator's parameters.
        sha256=hashlib.sha256(label.encode()).hexdigest(),
        message="Demo data generated by seed_demo.",
    )
    assign_channels(everyone, chooser)
    written = write_payments(everyone, chooser, _rng(seed, "payments"), batch.pk, fast)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE,
        finished_at=timezone.now(),
        rows_read=written,
        rows_imported=written,
    )
    return written


def _partitions(months):
    """On PostgreSQL, one partition per month of the scenario before its payments go in:
    left in the default partition, every month's rollup fill would scan all of them (the
    rollups of scale 0.05 took 45 s that way, 8 s with the partitions)."""
    with connection.cursor() as cursor:
        if partitions.partitioned(cursor):
            partitions.create_ahead(cursor, period(0), months)


def _analyze():
    """Refresh the planner's statistics after the bulk load: without them SQLite plans the
    rollup fill that follows several times slower (54 s instead of 7 s at scale 0.05)."""
    with connection.cursor() as cursor:
        for model in (Customer, Payment, AdminArea):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
