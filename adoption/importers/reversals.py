"""Reversal files through the importer's pipeline (adoption.importers.run): columns
channel_code, reference, amount, and optionally kind (refund, failed_debit), reversed_at and
reason. The checks are adoption.reversals' own; all or nothing by default, every problem by
row, a report, the rollups refreshed after."""

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import closing, reversals
from ..choices import ImportKind, ReversalKind
from ..models import Payment, PaymentChannel, Reversal
from ..permissions import visible_branches
from . import checks
from .base import Importer
from .values import VIETNAM, BadValue, parse_amount, parse_datetime, text

COLUMNS = ("channel_code", "reference", "amount")
OPTIONAL = ("kind", "reversed_at", "reason")
KINDS = {k.value: k for k in ReversalKind} | {str(k.label).lower(): k for k in ReversalKind}


class ReversalImport(Importer):
    """A file of reversals, through the importer's pipeline (adoption.importers.run): all or
    nothing by default, every problem by row, a report, rollups refreshed after."""

    kind = ImportKind.REVERSALS
    required = COLUMNS
    optional = OPTIONAL

    def __init__(self, *, user, today):
        super().__init__(user=user, today=today)
        self.now = timezone.now().astimezone(VIETNAM)
        self.channels = {c.code.upper(): c for c in PaymentChannel.objects.all()}
        self.branches = None
        if user is not None and not user.is_superuser:
            self.branches = set(visible_branches(user).values_list("pk", flat=True))
        self.locked = closing.locked_cells()

    def check(self, chunk):
        """(row number, cells, record or None, problems) per row; a record is (payment pk,
        channel id, reference, period, amount, kind, reversed_at, reason, branch id)."""
        parsed = [(number, cells, self._parse(cells)) for number, cells in chunk]
        keys = [(p[0].pk, p[1]) for _n, _c, (p, problems) in parsed if p and not problems]
        found_payments = reversals.payments(keys)
        for number, cells, (values, problems) in parsed:
            if problems:
                yield number, cells, None, problems
                continue
            channel, reference, amount, kind, moment, reason = values
            payment = found_payments.get((channel.pk, reference))
            visible = self.branches is None or (
                payment is not None and payment["customer__branch_id"] in self.branches
            )
            if not visible:
                payment = None  # another company's payment: as if unknown
            found = reversals.problems(payment, amount, reference, self.locked)
            if found:
                yield number, cells, None, found
                continue
            self.duplicates.add(f"{channel.pk}\x00{reference}", number)
            self.affected.add((payment["period"], payment["customer__branch_id"]))
            record = (
                payment["pk"],
                channel.pk,
                reference,
                payment["period"],
                amount,
                kind,
                moment,
                reason,
                payment["customer__branch_id"],
            )
            yield number, cells, record, []

    def _parse(self, cells):
        """((channel, reference, amount, kind, reversed_at, reason), problems)."""
        problems = []
        cell = lambda name: cells[self.columns[name]] if name in self.columns else None  # noqa: E731
        channel, problem = checks.channel(self.channels, cell("channel_code"))
        if problem:
            problems.append(("channel_code", problem))
        reference = text(cell("reference"))
        if not reference:
            problems.append(("reference", checks.required()))
        amount = None
        try:
            amount = parse_amount(cell("amount"))
        except BadValue as error:
            problems.append(("amount", str(error)))
        raw_kind = text(cell("kind")).lower()
        kind = KINDS.get(raw_kind or ReversalKind.REFUND.value)
        if kind is None:
            problems.append(("kind", _("“%s” is not refund or failed_debit.") % raw_kind))
        moment = self.now
        if text(cell("reversed_at")):
            try:
                moment = parse_datetime(cell("reversed_at"), now=self.now)
            except BadValue as error:
                problems.append(("reversed_at", str(error)))
        values = (channel, reference, amount, kind, moment, text(cell("reason")))
        return values, problems

    def duplicate_problem(self, cells, first):
        reference = text(cells[self.columns["reference"]])
        return (
            "reference",
            _("Row %(row)s already reverses payment “%(ref)s”.") % {"row": first, "ref": reference},
        )

    def write(self, records):
        keys = set()
        records = [r for r in records if (r[1], r[2]) not in keys and not keys.add((r[1], r[2]))]
        created = Reversal.objects.bulk_create(
            [
                Reversal(
                    channel_id=channel_id,
                    reference=reference,
                    period=period,
                    amount=amount,
                    kind=kind,
                    reason=reason,
                    reversed_at=moment,
                    import_batch=self.batch,
                    recorded_by=self.batch.imported_by,
                )
                for _pk, channel_id, reference, period, amount, kind, moment, reason, _b in records
            ],
            ignore_conflicts=True,
        )
        del created
        # Only the payments whose reversal went in (a repeat across chunks met the constraint).
        for _pk, channel_id, reference, _p, _a, _k, moment, _r, _b in records:
            self.written += Payment.objects.filter(
                channel_id=channel_id, reference=reference, reversed_at__isnull=True
            ).update(reversed_at=moment)
