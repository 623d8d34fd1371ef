from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from adoption import import_sweep


class Command(BaseCommand):
    help = (
        "Mark as failed the imports left running by a process that was killed, redo the admin "
        "import jobs whose worker died, and queue again the jobs whose enqueue was lost (safe "
        "at any time: a running import is left alone). The worker runs the same sweep every "
        "minute."
    )

    def handle(self, *args, **options):
        swept = import_sweep.sweep()
        self.stdout.write(
            _("%(count)s interrupted imports marked as failed.") % {"count": len(swept)}
        )
