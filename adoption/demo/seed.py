"""Build the whole Hà Giang scenario in one transaction.

Deterministic for a given seed: every part draws from its own random.Random seeded with the
seed and the part's name, so the same seed gives the same rows, and changing one part (say,
outreach) does not reshuffle another (payments).
"""

import hashlib
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ..areas_loader import load_areas
from ..choices import AreaLevel, ImportKind, ImportStatus
from ..models import (
    AdminArea,
    Branch,
    Company,
    Customer,
    ImportBatch,
    Partner,
    PaymentChannel,
    Target,
)
from .customers import adoption_curve, calibrate, make_profiles
from .logins import create_logins
from .names import village_names
from .outreach import create_outreach
from .payments import ChannelChooser, assign_channels, write_payments
from .scenario import BRANCHES, CHANNELS, COMPANY, COMPANY_TARGETS, PARTNERS, PROVINCE, period

MIN_CUSTOMERS_PER_BRANCH = 20


@dataclass
class SeedReport:
    steps: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    moved_by_calibration: int = 0

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


def _channels():
    partners = {
        p.code: Partner.objects.create(code=p.code, name=p.name, website=p.website)
        for p in PARTNERS
    }
    ids = {}
    for c in CHANNELS:
        ids[c.code] = PaymentChannel.objects.create(
            code=c.code,
            name=c.name,
            kind=c.kind,
            is_cash=c.is_cash,
            partner=partners.get(c.partner),
            contract_start=c.contract_start,
            fee_per_transaction=c.fee,
        ).pk
    return partners, ids


def _customers(seed, scale, branches, communes, villages):
    """Profiles per branch, calibrated, and their Customer rows; {branch code: profiles}."""
    by_branch, moved = {}, 0
    for plan, branch in branches:
        own = [
            (c.pk, c.name, _is_town(c.name)) for c in communes if c.parent_id == branch.district_id
        ]
        count = max(MIN_CUSTOMERS_PER_BRANCH, round(plan.customers * scale))
        profiles = make_profiles(plan, own, villages, count, _rng(seed, "customers", plan.code))
        curve = adoption_curve(plan, _rng(seed, "curve", plan.code))
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
    for profiles in by_branch.values():
        for p in profiles:
            p.id = ids[p.code]
    return by_branch, moved


def _targets(company, branches):
    targets = [Target(company=company, period=p, rate=Decimal(r)) for p, r in COMPANY_TARGETS]
    for plan, branch in branches:
        targets += [
            Target(company=company, branch=branch, period=period(35), rate=plan.target_dec_2021),
            Target(company=company, branch=branch, period=period(47), rate=plan.target_dec_2022),
        ]
    Target.objects.bulk_create(targets)
    return len(targets)


@transaction.atomic
def seed(scale=1.0, seed=1, log=lambda line: None, fast=True):
    """Seed an empty database with the scenario at `scale` (1 = the real province).

    fast=False writes payments without PostgreSQL's COPY: only benchmarks want that.
    """
    report = SeedReport()
    clock = _Clock(report, log)
    load_areas(PROVINCE)
    province = AdminArea.objects.get(level=AreaLevel.PROVINCE, code="02", valid_from=None)
    company = Company.objects.create(province=province, **COMPANY)
    districts = {
        d.code: d for d in AdminArea.objects.filter(level=AreaLevel.DISTRICT, parent=province)
    }
    branches = [
        (
            plan,
            Branch.objects.create(
                company=company,
                code=plan.code,
                name=plan.branch_name,
                district=districts[plan.district_code],
            ),
        )
        for plan in BRANCHES
    ]
    communes, villages = _villages(seed, districts.values())
    clock.lap("areas", len(communes))
    partners, channel_ids = _channels()
    profiles, report.moved_by_calibration = _customers(seed, scale, branches, communes, villages)
    clock.lap("customers", sum(map(len, profiles.values())))

    label = f"seed_demo --scale {scale:g} --seed {seed}"
    batch = ImportBatch.objects.create(
        kind=ImportKind.PAYMENTS,
        file_name=label,
        # Generated, not read from a file: the checksum names the generator's parameters.
        sha256=hashlib.sha256(label.encode()).hexdigest(),
        message="Demo data generated by seed_demo.",
    )
    chooser = ChannelChooser(channel_ids)
    everyone = [p for plan, _ in branches for p in profiles[plan.code]]
    assign_channels(everyone, chooser)
    written = write_payments(everyone, chooser, _rng(seed, "payments"), batch.pk, fast)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE,
        finished_at=timezone.now(),
        rows_read=written,
        rows_imported=written,
    )
    clock.lap("payments", written)

    branches_by_code = {plan.code: branch for plan, branch in branches}
    users = create_logins(company, branches_by_code)
    staff = {"BQ": users["bacquang"]}
    activities = create_outreach(_rng(seed, "outreach"), branches, profiles, partners, staff)
    clock.lap("outreach", activities)
    clock.lap("targets", _targets(company, branches))
    return report
