"""Report and alert emails, written in the recipient's language: plain text and HTML, the
monthly PDF and the XLSX of the table attached to reports, an unsubscribe link in each."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ..months import month_label
from . import pdf, text, xlsx
from .links import absolute, report_path
from .tokens import mute_token, unsubscribe_token


def _links(subscription, kind=None):
    links = {
        "unsubscribe_url": absolute(
            reverse("dashboard:unsubscribe", args=[unsubscribe_token(subscription)])
        )
    }
    if kind:
        token = mute_token(subscription.address, kind)
        links["mute_url"] = absolute(reverse("dashboard:mute-alert", args=[token]))
    return links


def _message(subject, template, context, to, unsubscribe_url):
    body = render_to_string(f"adoption/email/{template}.txt", context)
    html = render_to_string(f"adoption/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def report_email(subscription, report):
    """The monthly (or weekly) report of the subscription's unit."""
    with translation.override(subscription.language):
        name = f"{report.unit.key()}-{report.month:%Y-%m}"
        context = {
            "title": text.title(report),
            "view_text": text.view_text(report.scope),
            "filters_text": text.filters_text(report.scope),
            "deadline_text": text.deadline_text(report),
            "base_headers": text.base_headers(),
            "base_lines": text.base_lines(report),
            "behind": [text.row_cells(row) for row in report.furthest_behind],
            "row_headers": text.row_headers(report),
            "report_url": absolute(report_path(report.unit), report.scope.query()),
            **_links(subscription),
        }
        message = _message(
            context["title"], "report", context, subscription.address, context["unsubscribe_url"]
        )
        message.attach(f"report-{name}.pdf", pdf.render(report), "application/pdf")
        message.attach(
            f"report-{name}.xlsx",
            xlsx.render(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return message


def alert_email(subscription, occurrence):
    """One alert: what happened, why it matters, where the evidence is."""
    with translation.override(subscription.language):
        context = {
            "reason": occurrence.reason(),
            "kind": occurrence.kind_label(),
            "unit": occurrence.unit_name,
            "month": month_label(occurrence.month),
            "evidence_url": absolute(occurrence.path, occurrence.query),
            **_links(subscription, occurrence.kind),
        }
        subject = _("Alert: %(unit)s – %(kind)s") % {
            "unit": occurrence.unit_name,
            "kind": context["kind"],
        }
        return _message(subject, "alert", context, subscription.address, context["unsubscribe_url"])
