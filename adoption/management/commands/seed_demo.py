"""Placeholder until the demo scenario lands (issue 8)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the Hà Giang demo scenario."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.02)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, **options):
        self.stdout.write("The demo scenario is not built yet.")
