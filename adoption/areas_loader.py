"""Load Vietnam's administrative areas from the `vietnamadminunits` package's data files.

Before 1 July 2025: province -> district -> commune, with the official GSO codes. From that
day: the merged province -> commune (districts abolished), and each old commune's successor.
The package's data files are read directly (SQLite and JSON): its geocoding functions are
not used, so loading needs no network.

Idempotent: a unit is identified by (level, code, valid_from), as the model's unique
constraint says; running the load again updates what changed and creates nothing twice.
"""

import json
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import vietnamadminunits
from django.db import transaction

from .choices import AreaLevel
from .models import AdminArea, AreaSuccession

DATA_DIR = Path(vietnamadminunits.__file__).resolve().parent / "data"
DATASET = DATA_DIR / "dataset.db"
CONVERTER = DATA_DIR / "converter_2025.json"

# The 2025 reform: the old units end the day before the new ones start.
LEGACY_VALID_TO = date(2025, 6, 30)
REFORM_DATE = date(2025, 7, 1)

AREA_FIELDS = ("name", "parent_id", "valid_to", "latitude", "longitude")


class UnknownProvince(ValueError):
    pass


@dataclass
class LoadReport:
    provinces: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    without_successor: list = field(default_factory=list)

    def lines(self):
        if len(self.provinces) <= 4:
            yield "Provinces: " + ", ".join(self.provinces)
        for (period, level), n in sorted(self.counts.items()):
            yield f"  {period} {level}: {n}"
        yield f"Created {self.created}, updated {self.updated}, unchanged {self.unchanged}."
        if self.without_successor:
            yield f"Old communes the dataset gives no successor: {len(self.without_successor)}"


def ascii_key(text):
    """'Tỉnh Hà Giang' -> 'tinhhagiang', the form of the dataset's *Key columns."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    )
    return "".join(c for c in stripped.lower() if c.isalnum())


def _rows(sql, params=()):
    # Read-only and immutable: the file lives in site-packages and must never be written.
    with sqlite3.connect(f"file:{DATASET}?mode=ro&immutable=1", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def _legacy_rows(province):
    rows = _rows("SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")
    if province is None:
        return rows
    wanted = province.strip()
    key = ascii_key(wanted)
    chosen = [
        r
        for r in rows
        if wanted == r["provinceCode"] or key in (r["provinceKey"], r["provinceShortKey"])
    ]
    if not chosen:
        raise UnknownProvince(
            f"No province {province!r} in the pre-2025 dataset; give its name "
            "(e.g. 'Hà Giang') or its two-digit code (e.g. '02')."
        )
    return chosen


def _upsert(level, valid_from, records, report):
    """Create or update the areas of one level and start date; returns {code: id}."""
    existing = {
        a.code: a
        for a in AdminArea.objects.filter(level=level, valid_from=valid_from, code__in=records)
    }
    to_create, to_update = [], []
    for code, values in records.items():
        area = existing.get(code)
        if area is None:
            to_create.append(AdminArea(level=level, code=code, valid_from=valid_from, **values))
        elif any(getattr(area, f) != values[f] for f in AREA_FIELDS):
            for f in AREA_FIELDS:
                setattr(area, f, values[f])
            to_update.append(area)
    AdminArea.objects.bulk_create(to_create, batch_size=1000)
    AdminArea.objects.bulk_update(to_update, AREA_FIELDS, batch_size=1000)
    report.created += len(to_create)
    report.updated += len(to_update)
    report.unchanged += len(records) - len(to_create) - len(to_update)
    period = "before 2025-07-01" if valid_from is None else f"from {valid_from}"
    report.counts[(period, level)] += len(records)
    return dict(
        AdminArea.objects.filter(level=level, valid_from=valid_from, code__in=records).values_list(
            "code", "id"
        )
    )


def _area(name, parent_id, lat, lon, valid_to=None):
    return {
        "name": name,
        "parent_id": parent_id,
        "valid_to": valid_to,
        "latitude": lat,
        "longitude": lon,
    }


def _load_legacy(rows, report):
    """Provinces, districts and communes as they were until 30 June 2025; {ward key: id}."""
    provinces, districts, communes = {}, {}, {}
    for r in rows:
        provinces[r["provinceCode"]] = _area(
            r["province"], None, r["provinceLat"], r["provinceLon"], LEGACY_VALID_TO
        )
    province_ids = _upsert(AreaLevel.PROVINCE, None, provinces, report)
    for r in rows:
        districts[r["districtCode"]] = _area(
            r["district"],
            province_ids[r["provinceCode"]],
            r["districtLat"],
            r["districtLon"],
            LEGACY_VALID_TO,
        )
    district_ids = _upsert(AreaLevel.DISTRICT, None, districts, report)
    # A few island districts have no communes: their row has no ward.
    ward_rows = [r for r in rows if r["wardCode"]]
    for r in ward_rows:
        communes[r["wardCode"]] = _area(
            r["ward"], district_ids[r["districtCode"]], r["wardLat"], r["wardLon"], LEGACY_VALID_TO
        )
    commune_ids = _upsert(AreaLevel.COMMUNE, None, communes, report)
    report.provinces.extend(sorted({r["province"] for r in rows}))
    return {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": commune_ids[r["wardCode"]]
        for r in ward_rows
    }


def _successors(old_keys):
    """{old ward key: [(new province key, new ward key, is_default), ...]} from the converter."""
    with open(CONVERTER, encoding="utf-8") as f:
        converter = json.load(f)
    found = defaultdict(list)
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            for old in olds:
                if old in old_keys:
                    found[old].append((new_province, new_ward, True))
    for new_province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            if old in old_keys:
                found[old].extend(
                    (new_province, p["newWardKey"], bool(p["isDefaultNewWard"])) for p in parts
                )
    return {old: _one_default(parts) for old, parts in found.items()}


def _one_default(parts):
    """Deduplicated successors with exactly one default, as the model requires."""
    unique = {}
    for p, w, is_default in parts:
        unique[(p, w)] = unique.get((p, w), False) or is_default
    default = next((key for key, d in unique.items() if d), next(iter(unique)))
    return [(p, w, (p, w) == default) for (p, w) in unique]


def _load_2025(successors, report):
    """The 2025 provinces and the communes that took over the old ones; {(prov, ward): id}."""
    wanted = {(p, w) for parts in successors.values() for p, w, _ in parts}
    provinces_wanted = {p for p, _ in wanted}
    rows = [
        r
        for r in _rows("SELECT * FROM admin_units ORDER BY provinceCode, wardCode")
        if (r["provinceKey"], r["wardKey"]) in wanted
    ]
    missing = wanted - {(r["provinceKey"], r["wardKey"]) for r in rows}
    if missing:
        raise ValueError(f"The converter names 2025 communes the dataset lacks: {sorted(missing)}")
    provinces = {
        r["provinceCode"]: _area(r["province"], None, r["provinceLat"], r["provinceLon"])
        for r in rows
        if r["provinceKey"] in provinces_wanted
    }
    province_ids = _upsert(AreaLevel.PROVINCE, REFORM_DATE, provinces, report)
    communes = {
        r["wardCode"]: _area(r["ward"], province_ids[r["provinceCode"]], r["wardLat"], r["wardLon"])
        for r in rows
    }
    commune_ids = _upsert(AreaLevel.COMMUNE, REFORM_DATE, communes, report)
    report.provinces.extend(sorted({r["province"] + " (2025)" for r in rows}))
    return {(r["provinceKey"], r["wardKey"]): commune_ids[r["wardCode"]] for r in rows}


def _load_successions(old_ids, successors, new_ids, report):
    wanted = {}
    for old_key, parts in successors.items():
        for p, w, is_default in parts:
            wanted[(old_ids[old_key], new_ids[(p, w)])] = is_default
    existing = {
        (s.old_area_id, s.new_area_id): s
        for s in AreaSuccession.objects.filter(old_area_id__in=old_ids.values())
    }
    stale = [s.pk for key, s in existing.items() if key not in wanted]
    AreaSuccession.objects.filter(pk__in=stale).delete()
    changed = [
        s
        for key, s in existing.items()
        if key in wanted and (s.is_default != wanted[key] or s.effective_on != REFORM_DATE)
    ]
    # Clear defaults before setting new ones: one default per old commune at every moment.
    for flag in (False, True):
        for s in changed:
            if wanted[(s.old_area_id, s.new_area_id)] is flag:
                s.is_default, s.effective_on = flag, REFORM_DATE
                s.save(update_fields=["is_default", "effective_on"])
    AreaSuccession.objects.bulk_create(
        [
            AreaSuccession(old_area_id=o, new_area_id=n, effective_on=REFORM_DATE, is_default=d)
            for (o, n), d in wanted.items()
            if (o, n) not in existing
        ],
        batch_size=1000,
    )
    kept = len(existing) - len(stale)
    report.counts[("from 2025-07-01", "successions")] += len(wanted)
    report.created += len(wanted) - kept
    report.updated += len(changed) + len(stale)
    report.unchanged += kept - len(changed)


@transaction.atomic
def load_areas(province=None):
    """Load one province ('Hà Giang', 'Tỉnh Hà Giang' or '02'), or the whole country."""
    report = LoadReport()
    old_ids = _load_legacy(_legacy_rows(province), report)
    successors = _successors(old_ids)
    report.without_successor = sorted(set(old_ids) - set(successors))
    new_ids = _load_2025(successors, report)
    _load_successions(old_ids, successors, new_ids, report)
    return report
