"""What import_customers and import_payments share: options, progress bar and report."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from adoption import importers

# Problems printed on the terminal; the report file has all of them.
PRINTED_PROBLEMS = 50


class ImportCommand(BaseCommand):
    kind = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, comma or semicolon) or XLSX file")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows and write the bad ones to a rejects CSV.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and count; write nothing."
        )

    def handle(self, *args, file, skip_invalid, dry_run, verbosity, **options):
        try:
            open(file, "rb").close()
        except OSError as error:
            raise CommandError(
                _("Cannot open %(file)s: %(error)s") % {"file": file, "error": error.strerror}
            ) from None
        with tqdm(
            unit=" rows",
            desc=file,
            # The raw stream: OutputWrapper would end each redraw with a newline.
            file=self.stderr._out,
            disable=verbosity < 1 or None,
            mininterval=0.5,
        ) as bar:
            outcome = importers.run(
                self.kind,
                file,
                skip_invalid=skip_invalid,
                mode=importers.Mode.DRY_RUN if dry_run else importers.Mode.IMPORT,
                reports_dir=settings.IMPORT_REPORTS_DIR,
                progress=bar.update,
            )
        self.report(outcome)
        if not outcome.ok:
            raise CommandError(outcome.refused)

    def report(self, outcome):
        for problem in outcome.problems[:PRINTED_PROBLEMS]:
            self.stdout.write(str(problem))
        if outcome.problem_count > PRINTED_PROBLEMS:
            self.stdout.write(
                _("… and %s more problems.") % (outcome.problem_count - PRINTED_PROBLEMS)
            )
        # A refusal is said once, by the CommandError.
        style = self.style.SUCCESS if outcome.ok else self.style.ERROR
        self.stdout.write(style(outcome.counts()))
        for warning in outcome.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if outcome.report_path:
            self.stdout.write(_("Report: %s") % outcome.report_path)
        if outcome.rejects_path:
            message = _("Rejected rows, to fix and import again: %s")
            self.stdout.write(message % outcome.rejects_path)
