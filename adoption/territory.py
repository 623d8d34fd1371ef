"""The organisation and territory over time: the one place that changes a branch's company
and name and which branch serves which commune (customers' moves: adoption.customer_places;
the 2025 reform: adoption.area_reform).

Every change applies from a date and leaves the months before it as they were. A new branch
or customer gets its first dated fact here too (from the beginning, see models.validity),
so Branch.company/name and Customer.commune/village always have a fact behind them.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import AreaLevel
from .dated_changes import (
    change_from,
    check_month_start,
    commune_exists_on,
    mark_from,
    refuse_later,
)
from .models import (
    AdminArea,
    Branch,
    BranchTerritory,
    BranchVersion,
    Company,
    Customer,
    CustomerPlacement,
)
from .models.validity import BEGINNING, in_force
from .months import month_label, month_start


def _first_or_current_fact(model, subject, instance, created, fields):
    """A new subject (branch, customer) gets its first fact, from the beginning; a plain edit
    of these fields corrects the fact in force now. A change from a date goes through the
    services instead, which write the subject with update(), so no signal comes here."""
    values = {name: getattr(instance, name) for name in fields}
    if created:
        model.objects.create(**{subject: instance}, **values, valid_from=BEGINNING)
        return
    current = model.objects.filter(**{subject: instance}, valid_to__isnull=True)
    current.exclude(**values).update(**values)


@receiver(post_save, sender=Branch)
def branch_saved(sender, instance, created, raw=False, **kwargs):
    # From a date: transfer_branch / rename_branch.
    if not raw:
        _first_or_current_fact(BranchVersion, "branch", instance, created, ("company_id", "name"))


@receiver(post_save, sender=Customer)
def customer_saved(sender, instance, created, raw=False, **kwargs):
    # From a date: customer_places.move_customer.
    if not raw:
        fields = ("commune_id", "village_id")
        _first_or_current_fact(CustomerPlacement, "customer", instance, created, fields)


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
# ValidationError with nothing changed (adoption.dated_changes).


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
    change_from(
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
    check_month_start(on)
    company = _resolve_company(company)
    if company.valid_to is not None and company.valid_to < on:
        raise ValidationError(
            _("%(company)s no longer exists on %(day)s.")
            % {"company": company, "day": f"{on:%d/%m/%Y}"}
        )
    _version(branch, on, company_id=company.pk)
    mark_from(on, [branch.pk])


@transaction.atomic
def rename_branch(branch, name, on):
    """From `on` (a month start), the branch is called `name`; earlier months keep theirs."""
    check_month_start(on)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("A branch needs a name."))
    _version(branch, on, name=name)


def _served_on(branch, on):
    return BranchTerritory.objects.filter(in_force(on), branch=branch)


@transaction.atomic
def reassign_communes(assignments, on):
    """From `on` (a month start), each commune of `assignments` ((commune, branch) pairs) is
    served by that branch, until the commune ceases to exist. Customers placed there follow.

    Refused: a commune listed twice (two branches at once), no branch for a commune that
    exists on that date, a commune that does not exist on it, a later assignment in the way.
    """
    check_month_start(on)
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
        if not commune_exists_on(commune, on):
            raise ValidationError(
                _("%(commune)s does not exist on %(day)s.")
                % {"commune": commune, "day": f"{on:%d/%m/%Y}"}
            )
    touched = set()
    for commune, branch in assignments:
        facts = BranchTerritory.objects.filter(commune=commune)
        refuse_later(facts, on)
        before = facts.filter(in_force(on)).first()
        if before is not None:
            touched.add(before.branch_id)
            if before.branch_id == branch.pk:
                continue
        fact = change_from(
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
    mark_from(on, touched)


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
    check_month_start(on)
    others = [b for b in branches if b.pk != into.pk]
    if not others:
        raise ValidationError(
            _("Choose at least one branch to merge into %(into)s.") % {"into": into}
        )
    communes = [t.commune for b in others for t in _served_on(b, on).select_related("commune")]
    reassign_communes([(c, into) for c in communes], on)
    for branch in others:
        _end_versions(branch, on)
    mark_from(on, [into.pk, *(b.pk for b in others)])


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
    check_month_start(on)
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
    check_month_start(on)
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
