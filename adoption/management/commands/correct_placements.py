"""Correct customers' post-reform communes from a CSV or XLSX file."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from adoption.importers.files import FileRefused
from adoption.placement_corrections import correct_placements


class Command(BaseCommand):
    help = (
        "Correct the commune (and village) customers live in from a date on, from a file with "
        "the columns customer_code, area_code and optionally village. One bad row refuses the "
        "whole file. Typical use: the customers apply_area_reform listed for review."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--on",
            type=date.fromisoformat,
            default=date(2025, 7, 1),
            help="The first day the corrected commune applies (YYYY-MM-DD, a month's first "
            "day; default 2025-07-01, the reform).",
        )

    def handle(self, *args, path, on, **options):
        if on.day != 1:
            raise CommandError(_("--on must be the first day of a month."))
        try:
            report = correct_placements(path, on)
        except FileRefused as exc:
            raise CommandError(str(exc)) from exc
        if report.errors:
            for line in report.errors:
                self.stderr.write(line)
            raise CommandError(
                _("%(count)s row(s) refused; nothing was changed.") % {"count": len(report.errors)}
            )
        self.stdout.write(
            _("Corrected %(corrected)s, already right %(unchanged)s.")
            % {"corrected": report.corrected, "unchanged": report.unchanged}
        )
