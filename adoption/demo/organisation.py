"""The demo's organisation over time: EVNNPC, PC Hà Giang and its district branches, the
communes they serve, and what changes on 1 July 2025.

On that day the districts are abolished and the communes merged (the official reform, loaded
by areas_loader); the customers move to the successor communes, which the branches serve from
then on. The company change is the scenario's assumption: PC Hà Giang merges into PC Tuyên
Quang, as the two provinces merged, and each district branch becomes an area branch
("Điện lực khu vực …") with the same communes. Every change goes through adoption.territory
and adoption.area_reform, so the months before it keep the organisation they had.
"""

from collections import defaultdict

from ..area_reform import apply_area_reform
from ..areas_loader import LEGACY_VALID_TO, REFORM_DATE
from ..choices import AreaLevel
from ..models import AdminArea, AreaSuccession, Branch, BranchTerritory, Company, Corporation
from ..models.validity import BEGINNING
from ..territory import merge_company, rename_branch
from .scenario import BRANCHES, COMPANY, CORPORATION, SUCCESSOR_COMPANY


def create_organisation(province):
    """The corporation, PC Hà Giang and its branches, each serving its district's communes
    until they cease; returns (company, [(plan, branch)], {district code: district})."""
    corporation = Corporation.objects.create(**CORPORATION)
    company = Company.objects.create(province=province, corporation=corporation, **COMPANY)
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
    by_district = {branch.district_id: branch for _, branch in branches}
    communes = AdminArea.objects.filter(
        level=AreaLevel.COMMUNE, valid_from=None, parent__in=districts.values()
    )
    BranchTerritory.objects.bulk_create(
        BranchTerritory(
            branch=by_district[c.parent_id], commune=c, valid_from=BEGINNING, valid_to=c.valid_to
        )
        for c in communes
    )
    return company, branches, districts


def carry_villages(communes):
    """Each old commune's villages continue in its default successor from the reform: new
    village rows there, the old ones ended, and an AreaSuccession from each old to its new
    row. A name the new commune already has gets the old commune's name after it."""
    defaults = dict(
        AreaSuccession.objects.filter(
            old_area__in=communes, is_default=True, effective_on=REFORM_DATE
        ).values_list("old_area_id", "new_area_id")
    )
    names = {c.pk: c.name for c in communes}
    villages = AdminArea.objects.filter(
        level=AreaLevel.VILLAGE, parent__in=list(defaults), valid_to=None
    ).order_by("parent_id", "id")
    taken = defaultdict(set)
    planned = []
    for village in villages:
        new_commune = defaults[village.parent_id]
        name = village.name
        if name in taken[new_commune]:
            name = f"{name} ({_short(names[village.parent_id])})"
        taken[new_commune].add(name)
        planned.append((village.pk, new_commune, name))
    AdminArea.objects.bulk_create(
        [
            AdminArea(level=AreaLevel.VILLAGE, name=name, parent_id=parent, valid_from=REFORM_DATE)
            for _, parent, name in planned
        ],
        batch_size=1000,
    )
    new_ids = {
        (parent, name): pk
        for pk, parent, name in AdminArea.objects.filter(
            level=AreaLevel.VILLAGE, valid_from=REFORM_DATE, parent__in=list(taken)
        ).values_list("pk", "parent_id", "name")
    }
    villages.update(valid_to=LEGACY_VALID_TO)
    AreaSuccession.objects.bulk_create(
        [
            AreaSuccession(
                old_area_id=old,
                new_area_id=new_ids[(parent, name)],
                effective_on=REFORM_DATE,
                is_default=True,
            )
            for old, parent, name in planned
        ],
        batch_size=1000,
    )
    return len(planned)


def _short(commune_name):
    """'Xã Tân Quang' -> 'Tân Quang'."""
    for prefix in ("Thị trấn ", "Phường ", "Xã "):
        if commune_name.startswith(prefix):
            return commune_name.removeprefix(prefix)
    return commune_name


def reorganise(company, branches, communes):
    """The 1 July 2025 changes: villages carried over, customers moved to the successor
    communes (served by the branches from then on), PC Hà Giang merged into PC Tuyên Quang and
    the branches renamed. Returns the reform's report."""
    carry_villages(communes)
    report = apply_area_reform(on=REFORM_DATE)
    province = AdminArea.objects.get(
        level=AreaLevel.PROVINCE, valid_from=REFORM_DATE, name__endswith="Tuyên Quang"
    )
    successor = Company.objects.create(
        province=province, corporation=company.corporation, **SUCCESSOR_COMPANY
    )
    merge_company(company, successor, REFORM_DATE)
    for plan, branch in branches:
        rename_branch(branch, plan.area_branch_name, REFORM_DATE)
        branch.refresh_from_db()
    return successor, report
