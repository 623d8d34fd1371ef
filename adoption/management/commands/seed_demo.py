"""Seed the Hà Giang demo scenario (see adoption/demo/scenario.py for the story)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from adoption import demo
from adoption.demo.seed import check_until
from adoption.metrics import freshness
from adoption.models import Company
from adoption.months import parse_month

MAX_SCALE = 5
# Seeds SQLite in well under a minute on a 2-core machine; keep in step with the Makefile.
DEFAULT_SCALE = 0.05


class Command(BaseCommand):
    help = (
        "Seed Công ty Điện lực Hà Giang: 11 branches, customers, channels, monthly payments "
        "from 01/2019 to the last complete month (or --until), across the July 2025 reform, "
        "outreach, targets and a demo login per role. Scale 1 is the real province (about "
        "170,000 customers, 2 million payments a year)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=DEFAULT_SCALE)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--until",
            metavar="YYYY-MM",
            help="Last month of the demo (default: the last complete month before today).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the logins) when a company already exists.",
        )

    def handle(self, *args, scale, seed, until, if_empty, **options):
        if not 0 < scale <= MAX_SCALE:
            raise CommandError(f"--scale must be above 0 and at most {MAX_SCALE}, not {scale:g}.")
        if until is not None:
            month = parse_month(until)
            if month is None:
                raise CommandError(f"--until is a month as YYYY-MM, not {until!r}.")
            if problem := check_until(month, timezone.localdate()):
                raise CommandError(f"--until: {problem}")
            until = month
        if Company.objects.exists():
            if not if_empty:
                raise CommandError(
                    "A company already exists: the demo only seeds an empty database. "
                    "Use --if-empty to skip quietly."
                )
            self.stdout.write("A company already exists: nothing seeded.")
        else:
            started = time.perf_counter()
            verbose = options["verbosity"] > 1
            report = demo.seed(
                scale=scale,
                seed=seed,
                until=until,
                log=self.stdout.write if verbose else print_nothing,
            )
            self.stdout.write(
                f"Seeded the Hà Giang demo at scale {scale:g}, seed {seed}, "
                f"01/2019 to {report.until:%m/%Y}:"
            )
            for line in report.lines():
                self.stdout.write(line)
            if report.to_review:
                self.stdout.write(
                    f"  {report.to_review:,} customers of communes the reform split are in the "
                    "default successor, to review (correct_placements)."
                )
            self._refresh_rollups()
            self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        for line in demo.login_table():
            self.stdout.write(line)

    def _refresh_rollups(self):
        started = time.perf_counter()
        freshness.refresh()
        self.stdout.write(f"  {'rollups':<12} {time.perf_counter() - started:6.1f} s")


def print_nothing(line):
    pass
