"""The worker's report jobs (Huey periodic tasks, registered by adoption.tasks).

Every quarter of an hour the worker queues what is due (adoption.reports.dispatch: keys make
it idempotent, so a run that finds nothing new sends nothing); every minute it sends what is
queued and due (adoption.reports.deliveries: failures wait their backoff there, in the
database, rather than in the queue, so a restart loses nothing).
"""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import deliveries, dispatch

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))
@lock_task("queue-reports")
def queue_reports():
    reports, alerts = dispatch.queue_all()
    if reports or alerts:
        logger.info("Queued %d report and %d alert emails", reports, alerts)


@db_periodic_task(crontab(minute="*"))
@lock_task("send-reports")
def send_reports():
    sent, failed = deliveries.send_due()
    if sent or failed:
        logger.info("Report emails: %d sent, %d failed attempts", sent, failed)
