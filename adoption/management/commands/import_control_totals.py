from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adoption.importers import FileRefused, totals


class Command(BaseCommand):
    help = (
        "Import partners' control totals from a CSV or XLSX file with the columns channel_code, "
        "period, rows, amount and optionally explanation: what each partner counts per channel "
        "and month, to reconcile the payments imported against. One bad row and nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            saved, problems = totals.import_file(file)
        except (FileRefused, OSError) as error:
            raise CommandError(str(error)) from None
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(
                ngettext(
                    "%(count)s row has problems: nothing was imported.",
                    "%(count)s rows have problems: nothing was imported.",
                    len(problems),
                )
                % {"count": len(problems)}
            )
        self.stdout.write(self.style.SUCCESS(_("%s control totals saved.") % saved))
