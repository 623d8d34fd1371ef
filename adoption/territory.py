"""The organisation and territory over time: the one place that changes a branch's company
and name, which branch serves which commune, and where a customer lives.

Every change applies from a date and leaves the months before it as they were. A new branch
or customer gets its first dated fact here too (from the beginning, see models.validity),
so Branch.company/name and Customer.commune/village always have a fact behind them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from . import planner_statistics
from .choices import AreaLevel
from .metrics import dirty, freshness
from .models import (
    AdminArea,
    AreaSuccession,
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
)
from .models.areas import place_errors
from .models.validity import BEGINNING, in_force
from .months import month_label, month_start, this_month


@receiver(post_save, sender=Branch)
def branch_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        BranchVersion.objects.create(
            branch=instance,
            company_id=instance.company_id,
            name=instance.name,
            valid_from=BEGINNING,
        )
        return
    # A plain edit of the current company or name corrects the current version (a change
    # from a date goes through transfer_branch / rename_branch).
    BranchVersion.objects.filter(branch=instance, valid_to__isnull=True).exclude(
        company_id=instance.company_id, name=instance.name
    ).update(company_id=instance.company_id, name=instance.name)


@receiver(post_save, sender=Customer)
def customer_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        CustomerPlacement.objects.create(
            customer=instance,
            commune_id=instance.commune_id,
            village_id=instance.village_id,
            valid_from=BEGINNING,
        )
        return
    # As for branches: a plain edit corrects the current placement; a move from a date goes
    # through move_customer.
    CustomerPlacement.objects.filter(customer=instance, valid_to__isnull=True).exclude(
        commune_id=instance.commune_id, village_id=instance.village_id
    ).update(commune_id=instance.commune_id, village_id=instance.village_id)


def place_new_customers(customer_ids):
    """The first placement of customers created in bulk (no signals there)."""
    rows = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "commune_id", "village_id"
    )
    CustomerPlacement.objects.bulk_create(
        [
            CustomerPlacement(customer_id=pk, commune_id=c, village_id=v, valid_from=BEGINNING)
            for pk, c, v in rows
        ],
        batch_size=1000,
    )


# The changes. Each runs in one transaction and either applies whole or raises
# ValidationError with nothing changed.


def _check_month_start(on):
    if on.day != 1:
        raise ValidationError(
            _("Changes apply from the first day of a month (%(start)s), not %(day)s.")
            % {"start": f"{month_start(on):%d/%m/%Y}", "day": f"{on:%d/%m/%Y}"}
        )
    if on > this_month():
        raise ValidationError(
            _("A change can apply from this month at the latest, not from %(month)s.")
            % {"month": month_label(on)}
        )


def _change_from(facts, on, create, **values):
    """From `on` on, the fact of this subject (facts: its queryset) holds `values`.

    The fact in force on `on` ends the day before (or, starting on `on`, is changed in place);
    a fact that starts later is refused rather than silently overwritten. Returns the fact
    now in force on `on`.
    """
    _refuse_later(facts, on)
    current = facts.filter(in_force(on)).first()
    if current is not None and current.valid_from == on:
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
        return current
    valid_to = None
    if current is not None:
        valid_to = current.valid_to
        current.valid_to = on - timedelta(days=1)
        current.save(update_fields=["valid_to"])
    return create(valid_from=on, valid_to=valid_to, **values)


def _refuse_later(facts, on):
    later = facts.filter(valid_from__gt=on).order_by("valid_from").first()
    if later is not None:
        raise ValidationError(
            _("%(subject)s already changes from %(month)s; change that record first.")
            % {
                "subject": getattr(later, later.exclusive_on),
                "month": month_label(later.valid_from),
            }
        )


def _mark_from(on, branch_ids):
    """Every covered month from `on` on, in these branches, is stale."""
    periods = [p for p in freshness.covered_periods() if p >= month_start(on)]
    if periods:
        dirty.mark_dirty(periods, set(branch_ids))


def _resolve_company(company):
    """A Company, or the code or pk of one; refused if it does not exist."""
    if isinstance(company, Company):
        found = Company.objects.filter(pk=company.pk).first()
    else:
        key = Q(code=company) | (Q(pk=company) if str(company).isdigit() else Q(pk__in=[]))
        found = Company.objects.filter(key).first()
    if found is None:
        raise ValidationError(_("There is no company “%(company)s”.") % {"company": company})
    return found


def _version(branch, on, **changes):
    """The branch's version from `on` with these changes; Branch.company/name kept in step."""
    facts = BranchVersion.objects.filter(branch=branch)
    current = facts.filter(in_force(on)).first()
    values = {
        "company_id": current.company_id if current else branch.company_id,
        "name": current.name if current else branch.name,
        **changes,
    }
    _change_from(
        facts,
        on,
        lambda **kw: BranchVersion.objects.create(branch=branch, **kw),
        **values,
    )
    now = BranchVersion.objects.filter(branch=branch).filter(in_force(timezone.localdate()))
    version = now.first()
    if version is not None:
        Branch.objects.filter(pk=branch.pk).update(company_id=version.company_id, name=version.name)
        branch.company_id, branch.name = version.company_id, version.name


@transaction.atomic
def transfer_branch(branch, company, on):
    """From `on` (a month start), the branch belongs to `company`; earlier months keep the
    company they had."""
    _check_month_start(on)
    company = _resolve_company(company)
    if company.valid_to is not None and company.valid_to < on:
        raise ValidationError(
            _("%(company)s no longer exists on %(day)s.")
            % {"company": company, "day": f"{on:%d/%m/%Y}"}
        )
    _version(branch, on, company_id=company.pk)
    _mark_from(on, [branch.pk])


@transaction.atomic
def rename_branch(branch, name, on):
    """From `on` (a month start), the branch is called `name`; earlier months keep theirs."""
    _check_month_start(on)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("A branch needs a name."))
    _version(branch, on, name=name)


def _served_on(branch, on):
    return BranchTerritory.objects.filter(in_force(on), branch=branch)


def _commune_exists_on(commune, on):
    return (commune.valid_from is None or commune.valid_from <= on) and (
        commune.valid_to is None or commune.valid_to >= on
    )


@transaction.atomic
def reassign_communes(assignments, on):
    """From `on` (a month start), each commune of `assignments` ((commune, branch) pairs) is
    served by that branch, until the commune ceases to exist. Customers placed there follow.

    Refused: a commune listed twice (two branches at once), no branch for a commune that
    exists on that date, a commune that does not exist on it, a later assignment in the way.
    """
    _check_month_start(on)
    seen = {}
    for commune, branch in assignments:
        if commune.pk in seen:
            raise ValidationError(
                _("%(commune)s is given two branches at once.") % {"commune": commune}
            )
        seen[commune.pk] = branch
        if branch is None:
            raise ValidationError(
                _("%(commune)s would have no branch from %(day)s although it still exists.")
                % {"commune": commune, "day": f"{on:%d/%m/%Y}"}
            )
        if not _commune_exists_on(commune, on):
            raise ValidationError(
                _("%(commune)s does not exist on %(day)s.")
                % {"commune": commune, "day": f"{on:%d/%m/%Y}"}
            )
    touched = set()
    for commune, branch in assignments:
        facts = BranchTerritory.objects.filter(commune=commune)
        _refuse_later(facts, on)
        before = facts.filter(in_force(on)).first()
        if before is not None:
            touched.add(before.branch_id)
            if before.branch_id == branch.pk:
                continue
        fact = _change_from(
            facts,
            on,
            lambda commune=commune, **kw: BranchTerritory.objects.create(commune=commune, **kw),
            branch_id=branch.pk,
        )
        if fact.valid_to is None and commune.valid_to is not None:
            fact.valid_to = commune.valid_to
            fact.save(update_fields=["valid_to"])
        touched.add(branch.pk)
    _sync_customer_branches([c.pk for c, _b in assignments], touched)
    _mark_from(on, touched)


def _sync_customer_branches(commune_ids, also_branch_ids=()):
    """Customer.branch = the branch serving their current commune today (where one does)."""
    today = timezone.localdate()
    serving = dict(
        BranchTerritory.objects.filter(in_force(today), commune_id__in=commune_ids).values_list(
            "commune_id", "branch_id"
        )
    )
    for commune_id, branch_id in serving.items():
        moved = Customer.objects.filter(commune_id=commune_id).exclude(branch_id=branch_id)
        # QuerySet.update sends no signals: the caller marks the rollups.
        moved.update(branch_id=branch_id)


@transaction.atomic
def merge_branches(branches, into, on):
    """From `on`, `into` serves every commune the `branches` served and takes their
    customers; the merged branches end the day before."""
    _check_month_start(on)
    others = [b for b in branches if b.pk != into.pk]
    if not others:
        raise ValidationError(
            _("Choose at least one branch to merge into %(into)s.") % {"into": into}
        )
    communes = [t.commune for b in others for t in _served_on(b, on).select_related("commune")]
    reassign_communes([(c, into) for c in communes], on)
    for branch in others:
        _end_versions(branch, on)
    _mark_from(on, [into.pk, *(b.pk for b in others)])


def _end_versions(branch, on):
    later = BranchVersion.objects.filter(branch=branch, valid_from__gte=on)
    if later.exists():
        raise ValidationError(
            _("%(branch)s already changes from %(month)s; change that record first.")
            % {"branch": branch, "month": month_label(later.order_by("valid_from")[0].valid_from)}
        )
    BranchVersion.objects.filter(branch=branch).filter(in_force(on)).update(
        valid_to=on - timedelta(days=1)
    )


@transaction.atomic
def split_branch(branch, successors, on):
    """From `on`, the communes `branch` serves go to the branches `successors` names
    ({commune: branch}; the branch itself may keep some). Every commune needs a successor."""
    _check_month_start(on)
    served = list(_served_on(branch, on).select_related("commune"))
    chosen = {getattr(c, "pk", c): b for c, b in successors.items()}
    missing = [t.commune for t in served if chosen.get(t.commune_id) is None]
    if missing:
        raise ValidationError(
            _("Choose the branch that takes over %(communes)s.")
            % {"communes": ", ".join(str(c) for c in missing)}
        )
    strays = set(chosen) - {t.commune_id for t in served}
    if strays:
        names = AdminArea.objects.filter(pk__in=strays).order_by("name")
        raise ValidationError(
            _("%(branch)s does not serve %(communes)s on %(day)s.")
            % {
                "branch": branch,
                "communes": ", ".join(str(c) for c in names),
                "day": f"{on:%d/%m/%Y}",
            }
        )
    reassign_communes([(t.commune, chosen[t.commune_id]) for t in served], on)
    if all(chosen[t.commune_id].pk != branch.pk for t in served):
        _end_versions(branch, on)


@transaction.atomic
def merge_company(old, into, on):
    """From `on`, the branches of `old` belong to `into`; `old` ends the day before and keeps
    its months up to then."""
    _check_month_start(on)
    old = _resolve_company(old)
    into = _resolve_company(into)
    if old.pk == into.pk:
        raise ValidationError(_("A company cannot merge into itself."))
    if old.valid_to is not None:
        # Merging it again would move its end and rewrite the months in between.
        raise ValidationError(
            _("%(company)s already ended on %(day)s.")
            % {"company": old, "day": f"{old.valid_to:%d/%m/%Y}"}
        )
    if into.valid_to is not None and into.valid_to < on:
        raise ValidationError(
            _("%(company)s no longer exists on %(day)s.")
            % {"company": into, "day": f"{on:%d/%m/%Y}"}
        )
    branch_ids = BranchVersion.objects.filter(in_force(on), company=old).values_list(
        "branch_id", flat=True
    )
    for branch in Branch.objects.filter(pk__in=list(branch_ids)):
        transfer_branch(branch, into, on)
    old.valid_to = on - timedelta(days=1)
    old.merged_into = into
    old.save(update_fields=["valid_to", "merged_into"])


@transaction.atomic
def move_customer(customer, commune, village, on):
    """From `on`, the customer lives in this commune (and village); earlier months keep the
    commune they had."""
    _check_month_start(on)
    errors = place_errors(None, commune, village)
    if not _commune_exists_on(commune, on):
        errors["commune"] = _("%(commune)s does not exist on %(day)s.") % {
            "commune": commune,
            "day": f"{on:%d/%m/%Y}",
        }
    if errors:
        raise ValidationError(errors)
    _place(customer, commune.pk, village.pk if village else None, on)


def _place(customer, commune_id, village_id, on):
    facts = CustomerPlacement.objects.filter(customer=customer)
    _change_from(
        facts,
        on,
        lambda **kw: CustomerPlacement.objects.create(customer=customer, **kw),
        commune_id=commune_id,
        village_id=village_id,
    )
    _sync_customer(customer)


def _sync_customer(customer):
    """Customer.commune/village/branch = their placement in force today and its branch."""
    today = timezone.localdate()
    placement = CustomerPlacement.objects.filter(in_force(today), customer=customer).first()
    if placement is None:
        return
    serving = (
        BranchTerritory.objects.filter(in_force(today), commune_id=placement.commune_id)
        .values_list("branch_id", flat=True)
        .first()
    )
    old_branch = customer.branch_id
    customer.commune_id, customer.village_id = placement.commune_id, placement.village_id
    customer.branch_id = serving or customer.branch_id
    # update(): a save() would send the signals that correct the placement just written.
    Customer.objects.filter(pk=customer.pk).update(
        commune_id=customer.commune_id, village_id=customer.village_id, branch_id=customer.branch_id
    )
    dirty.mark_customer_dirty(customer)
    if old_branch != customer.branch_id:
        _mark_from(BEGINNING, [old_branch])


@dataclass
class ReformReport:
    moved: int = 0
    # (customer, old commune, default successor, every successor) for communes split between
    # several new ones: placed in the default successor, to be checked.
    to_review: list = field(default_factory=list)
    villages_dropped: int = 0
    # (new commune, branch) assignments made for new communes nobody served yet.
    assigned: list = field(default_factory=list)


@transaction.atomic
def apply_area_reform(on=date(2025, 7, 1), customer_ids=None):
    """Move every customer (or only these) whose commune ceased before `on` to its successor
    (AreaSuccession effective on `on`), from `on` on; earlier months keep the old commune.

    Villages are carried over where the village itself has a successor in the new commune;
    otherwise the customer keeps no village. A commune split between several successors goes
    to its default successor, and its customers are listed for review (correct them with the
    correct_placements command). New communes nobody serves yet get the branch that served
    most of their predecessors' customers.
    """
    _check_month_start(on)
    report = ReformReport()
    successions = defaultdict(list)
    communes = AreaSuccession.objects.filter(effective_on=on, old_area__level=AreaLevel.COMMUNE)
    for s in communes.select_related("new_area"):
        successions[s.old_area_id].append(s)
    default = {
        old: next((s.new_area for s in rows if s.is_default), rows[0].new_area)
        for old, rows in successions.items()
    }
    placements = (
        CustomerPlacement.objects.filter(in_force(on - timedelta(days=1)))
        .filter(commune_id__in=list(default))
        .select_related("customer", "commune", "village")
    )
    if customer_ids is not None:
        placements = placements.filter(customer_id__in=list(customer_ids))
    # Only those not yet moved (running the reform twice changes nothing).
    placements = [p for p in placements if p.valid_to is None or p.valid_to >= on]
    _assign_new_communes(placements, default, on, report)
    village_successors = defaultdict(list)
    for old_id, new_id, parent_id in (
        AreaSuccession.objects.filter(old_area__level=AreaLevel.VILLAGE)
        .order_by("-is_default")
        .values_list("old_area_id", "new_area_id", "new_area__parent_id")
    ):
        village_successors[old_id].append((new_id, parent_id))
    moved = []
    for placement in placements:
        new_commune = default[placement.commune_id]
        village_id = _carried_village(placement.village, new_commune, village_successors)
        if placement.village_id and village_id is None:
            report.villages_dropped += 1
        moved.append(
            CustomerPlacement(
                customer_id=placement.customer_id,
                commune_id=new_commune.pk,
                village_id=village_id,
                valid_from=on,
                valid_to=placement.valid_to,
            )
        )
        if len(successions[placement.commune_id]) > 1:
            report.to_review.append(
                (
                    placement.customer,
                    placement.commune,
                    new_commune,
                    [s.new_area for s in successions[placement.commune_id]],
                )
            )
    # Set-based: a province has hundreds of thousands of customers.
    ids = [p.pk for p in placements]
    for chunk in range(0, len(ids), 1000):
        CustomerPlacement.objects.filter(pk__in=ids[chunk : chunk + 1000]).update(
            valid_to=on - timedelta(days=1)
        )
    CustomerPlacement.objects.bulk_create(moved, batch_size=1000)
    report.moved = len(moved)
    touched = {p.customer.branch_id for p in placements}
    touched |= _sync_customers([p.customer_id for p in moved])
    # Every customer's placement rewritten: the fill that follows plans on the new tables.
    planner_statistics.analyze(CustomerPlacement, Customer)
    _mark_from(on, touched)
    return report


def follow_reforms(customer_ids):
    """Customers created after a reform ran (an import) but placed in a commune it ended: moved
    on to its successor as apply_area_reform moved everyone else, from the reform's date.
    Returns the branches these customers belong to afterwards."""
    ended = CustomerPlacement.objects.filter(
        customer_id__in=list(customer_ids), valid_to__isnull=True, commune__valid_to__isnull=False
    ).values_list("commune__valid_to", flat=True)
    for last_day in sorted(set(ended)):
        on = last_day + timedelta(days=1)
        if on.day == 1 and AreaSuccession.objects.filter(effective_on=on).exists():
            apply_area_reform(on, customer_ids=customer_ids)
    return set(
        Customer.objects.filter(pk__in=list(customer_ids)).values_list("branch_id", flat=True)
    )


def _sync_customers(customer_ids):
    """Customer.commune/village/branch = their placement in force today and the branch that
    serves it (set-based); returns the branches customers moved to."""
    today = timezone.localdate()
    serving = dict(
        BranchTerritory.objects.filter(in_force(today)).values_list("commune_id", "branch_id")
    )
    groups = defaultdict(list)
    rows = CustomerPlacement.objects.filter(in_force(today), customer_id__in=customer_ids)
    for customer_id, commune_id, village_id in rows.values_list(
        "customer_id", "commune_id", "village_id"
    ):
        groups[(commune_id, village_id)].append(customer_id)
    branches = set()
    for (commune_id, village_id), ids in groups.items():
        values = {"commune_id": commune_id, "village_id": village_id}
        if commune_id in serving:
            values["branch_id"] = serving[commune_id]
            branches.add(serving[commune_id])
        for chunk in range(0, len(ids), 1000):
            Customer.objects.filter(pk__in=ids[chunk : chunk + 1000]).update(**values)
    return branches


def _carried_village(village, commune, village_successors):
    """The village the customer keeps in the new commune, if the data says it continues."""
    if village is None:
        return None
    for new_id, parent_id in village_successors.get(village.pk, []):
        if parent_id == commune.pk:
            return new_id
    # A village row that simply continues (re-parented under the new commune).
    if village.parent_id == commune.pk:
        return village.pk
    return None


def _assign_new_communes(placements, default, on, report):
    before = on - timedelta(days=1)
    serving = dict(
        BranchTerritory.objects.filter(in_force(before)).values_list("commune_id", "branch_id")
    )
    votes = defaultdict(lambda: defaultdict(int))
    for placement in placements:
        branch_id = serving.get(placement.commune_id)
        if branch_id is not None:
            votes[default[placement.commune_id].pk][branch_id] += 1
    # Predecessors with no customers still say which branch served them.
    for old_id, new in default.items():
        if old_id in serving:
            votes[new.pk].setdefault(serving[old_id], 0)
    served_now = set(
        BranchTerritory.objects.filter(in_force(on), commune_id__in=list(votes)).values_list(
            "commune_id", flat=True
        )
    )
    communes = {c.pk: c for c in AdminArea.objects.filter(pk__in=list(votes))}
    branches = {b.pk: b for b in Branch.objects.all()}
    assignments = []
    for commune_id, counts in sorted(votes.items()):
        if commune_id in served_now:
            continue
        branch_id = min(counts, key=lambda b: (-counts[b], b))
        assignments.append((communes[commune_id], branches[branch_id]))
    if assignments:
        reassign_communes(assignments, on)
        report.assigned = assignments


@transaction.atomic
def carry_over():
    """What migration 0008 does for an installation, for rows made since by bulk paths (the
    demo, benchmarks): each district's communes served by the branch of that district, from
    the commune's start, where no branch serves them yet; each customer without a placement
    placed in their current commune since always. Running it again changes nothing."""
    served = set(BranchTerritory.objects.values_list("commune_id", flat=True))
    rows = []
    for branch in Branch.objects.filter(district__isnull=False).order_by("pk"):
        communes = AdminArea.objects.filter(parent_id=branch.district_id, level=AreaLevel.COMMUNE)
        for commune in communes.order_by("pk"):
            if commune.pk in served:
                continue
            served.add(commune.pk)
            rows.append(
                BranchTerritory(
                    branch=branch,
                    commune=commune,
                    valid_from=month_start(commune.valid_from or BEGINNING),
                    valid_to=commune.valid_to,
                )
            )
    BranchTerritory.objects.bulk_create(rows, batch_size=1000)
    unplaced = Customer.objects.filter(placements__isnull=True).values_list("pk", flat=True)
    place_new_customers(list(unplaced))
    return len(rows)
