from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from adoption.importers.concurrency import sweep_stale


class Command(BaseCommand):
    help = (
        "Mark as failed the imports left running by a process that was killed (safe at any "
        "time: a running import is left alone). Schedule it, e.g. every 10 minutes."
    )

    def handle(self, *args, **options):
        swept = sweep_stale()
        self.stdout.write(
            _("%(count)s interrupted imports marked as failed.") % {"count": len(swept)}
        )
