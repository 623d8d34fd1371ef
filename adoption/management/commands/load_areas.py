"""Load administrative areas (before and after the 2025 reform) from vietnamadminunits."""

from django.core.management.base import BaseCommand, CommandError

from adoption.areas_loader import UnknownProvince, load_areas


class Command(BaseCommand):
    help = (
        "Load provinces, districts and communes as they were until 30 June 2025, the 2025 "
        "provinces and communes, and which new commune took over each old one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            help="Only this pre-2025 province, by name ('Hà Giang') or code ('02'). "
            "Default: the whole country.",
        )

    def handle(self, *args, province=None, **options):
        try:
            report = load_areas(province)
        except UnknownProvince as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
