"""Admin for imports: the record of every import, and the upload → preview → confirm pages.

The upload stores the file in IMPORT_UPLOADS_DIR (private, never served) and queues its
check (adoption.import_jobs); the job's page shows the check's progress, then its preview
with the confirm button, then the import's progress and outcome. The file confirmed is the
file previewed: the job's record points at it. The admin may leave the page and come back
(the list of imports links every job), and cancel the job until it is over.
"""

import hashlib
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import import_jobs, importers
from ..choices import ImportKind, ImportStatus
from ..importers.files import ZIP_MAGIC
from ..models import ImportBatch
from ..permissions import may_import
from .scoping import ReadOnlyMixin

# A partial upload (the request died while storing it) is deleted after this long.
PARTIAL_KEPT_SECONDS = 24 * 60 * 60
COLUMNS_HELP = {
    ImportKind.PAYMENTS: "customer_code, period, amount, channel_code, paid_at, reference",
    ImportKind.REVERSALS: "channel_code, reference, amount, kind, reversed_at, reason",
    ImportKind.CUSTOMERS: (
        "customer_code, name, branch_code, area_code, customer_type, connected_on, disconnected_on"
    ),
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"), help_text=gettext_lazy("CSV (UTF-8) or XLSX.")
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid rows"),
        required=False,
        help_text=gettext_lazy(
            "Import the good rows and list the bad ones in a file to fix. Without this, one "
            "bad row stops the whole import."
        ),
    )


def _uploads_dir():
    directory = Path(settings.IMPORT_UPLOADS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _keep_upload(uploaded):
    """Store the upload for its job; return (path, SHA-256, rows at most).

    Each upload has a file of its own, even the same file twice: one job's end deletes only
    its own. The files of jobs are deleted by the jobs (and the sweep), never here. A CSV's
    line count bounds its rows, so the check's progress bar has an end (None for an XLSX).
    """
    directory = _uploads_dir()
    for partial in directory.glob("*.part"):
        if partial.stat().st_mtime < time.time() - PARTIAL_KEPT_SECONDS:
            partial.unlink(missing_ok=True)
    digest = hashlib.sha256()
    head, newlines, returns = b"", 0, 0
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False) as out:
        for block in uploaded.chunks():
            digest.update(block)
            out.write(block)
            head = head or block[:4]
            newlines += block.count(b"\n")
            returns += block.count(b"\r")
    path = directory / f"{digest.hexdigest()}-{secrets.token_hex(8)}"
    Path(out.name).replace(path)
    # Excel for Mac ends lines with a lone CR. The header's line makes up for a last line
    # without its newline: the rows never exceed the count.
    lines = newlines or returns
    rows_at_most = None if head.startswith(ZIP_MAGIC) else lines
    return path, digest.hexdigest(), rows_at_most


# The record is written by the import itself; nobody types, edits or deletes it.
@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "kind",
        "file_name",
        "job",
        "status",
        "imported_by",
        "rows_read",
        "rows_imported",
        "rows_skipped",
        "rows_rejected",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "sha256"]
    date_hierarchy = "started_at"
    list_select_related = ["imported_by"]
    readonly_fields = ["job", "report", "rejects"]
    exclude = ["rejects_file", "upload_file", "preview"]

    @admin.display(description=gettext_lazy("job"))
    def job(self, batch):
        url = reverse("admin:adoption_importbatch_job", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _("progress and outcome"))

    @admin.display(description=gettext_lazy("report"))
    def report(self, batch):
        if not _report_file(batch).is_file():
            return "-"
        url = reverse("admin:adoption_importbatch_report", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _report_file(batch).name)

    @admin.display(description=gettext_lazy("rejected rows file"))
    def rejects(self, batch):
        if not batch.rejects_file:
            return "-"
        url = reverse("admin:adoption_importbatch_rejects", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, Path(batch.rejects_file).name)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "import_links": [
                (reverse("admin:adoption_importbatch_upload", args=[kind]), label)
                for kind, label in ImportKind.choices
                if may_import(request.user, kind)
            ],
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "upload/<str:kind>/",
                view(self.upload_view),
                name="adoption_importbatch_upload",
            ),
            path("<int:pk>/job/", view(self.job_view), name="adoption_importbatch_job"),
            path(
                "<int:pk>/job.json",
                view(self.job_json_view),
                name="adoption_importbatch_job_json",
            ),
            path(
                "<int:pk>/confirm/",
                view(self.confirm_view),
                name="adoption_importbatch_confirm",
            ),
            path(
                "<int:pk>/cancel/",
                view(self.cancel_view),
                name="adoption_importbatch_cancel",
            ),
            path(
                "<int:pk>/report/",
                view(self.report_view),
                name="adoption_importbatch_report",
            ),
            path(
                "<int:pk>/rejects/",
                view(self.rejects_view),
                name="adoption_importbatch_rejects",
            ),
            *super().get_urls(),
        ]

    def _check_kind(self, request, kind):
        if kind not in ImportKind.values:
            raise Http404
        if not may_import(request.user, kind):
            raise PermissionDenied

    def _context(self, request, title, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **context,
        }

    def upload_view(self, request, kind):
        """Upload a file: it is stored and its check queued; the job's page shows the rest."""
        self._check_kind(request, kind)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return TemplateResponse(
                request,
                "admin/adoption/importbatch/upload.html",
                self._context(
                    request,
                    _("Import %s") % ImportKind(kind).label.lower(),
                    kind=kind,
                    columns=COLUMNS_HELP[kind],
                    form=form,
                ),
            )
        uploaded = form.cleaned_data["file"]
        stored, sha256, rows_at_most = _keep_upload(uploaded)
        batch = import_jobs.queue_preview(
            kind,
            stored,
            file_name=uploaded.name[:255],
            sha256=sha256,
            user=request.user,
            skip_invalid=form.cleaned_data["skip_invalid"],
            language=request.LANGUAGE_CODE,
            rows_at_most=rows_at_most,
        )
        return redirect("admin:adoption_importbatch_job", batch.pk)

    def _job(self, request, pk):
        """The job, for whoever may run its kind of import (404 for a job that is not there)."""
        batch = get_object_or_404(ImportBatch.objects.select_related("imported_by"), pk=pk)
        self._check_kind(request, batch.kind)
        return batch

    def job_view(self, request, pk):
        """A job's page: its progress while the worker has it (the page polls job_json_view),
        the preview and the confirm button once checked, and the outcome once over."""
        batch = self._job(request, pk)
        found = batch.preview
        shown = found.get("problems", [])
        return TemplateResponse(
            request,
            "admin/adoption/importbatch/job.html",
            self._context(
                request,
                _("Import of %s") % batch.file_name,
                batch=batch,
                state=job_state(batch),
                preview=found if "read" in found else None,
                more_problems=max(0, found.get("problem_count", 0) - len(shown)),
                may_confirm=batch.status == ImportStatus.PREVIEWED,
                may_cancel=batch.status in import_jobs.CANCELLABLE,
                upload_again=reverse("admin:adoption_importbatch_upload", args=[batch.kind]),
            ),
        )

    def job_json_view(self, request, pk):
        response = JsonResponse(job_state(self._job(request, pk)))
        response["Cache-Control"] = "no-store"
        return response

    def confirm_view(self, request, pk):
        """Import the checked file for real: its import job is queued."""
        batch = self._job(request, pk)
        if request.method != "POST":
            return redirect("admin:adoption_importbatch_job", pk)
        refused = import_jobs.confirm(batch)
        if refused:
            messages.error(request, refused)
        return redirect("admin:adoption_importbatch_job", pk)

    def cancel_view(self, request, pk):
        """Stop a job that is not over: nothing from the file is kept, it can come again."""
        batch = self._job(request, pk)
        if request.method != "POST":
            return redirect("admin:adoption_importbatch_job", pk)
        try:
            cancelled = import_jobs.cancel(batch)
        except import_jobs.QueueUnreachable:
            messages.error(
                request,
                _("The worker could not be told to stop (its queue is unreachable): try again."),
            )
            return redirect("admin:adoption_importbatch_job", pk)
        if cancelled:
            messages.info(request, _("Cancelling: nothing from this file will be kept."))
        else:
            messages.error(request, _("This import is over; there is nothing to cancel."))
        return redirect("admin:adoption_importbatch_job", pk)

    def report_view(self, request, pk):
        """An import's report (its summary and every problem)."""
        batch = self._job(request, pk)
        return _download(_report_file(batch), f"{Path(batch.file_name).stem}-report.txt")

    def rejects_view(self, request, pk):
        """The rejected rows of an import, for whoever may run that kind of import."""
        batch = self._job(request, pk)
        if not batch.rejects_file:
            raise Http404
        return _download(Path(batch.rejects_file), f"{Path(batch.file_name).stem}-rejects.csv")


def _report_file(batch):
    return importers.report_file(settings.IMPORT_REPORTS_DIR, batch, "report.txt")


def _download(path, filename):
    if not path.is_file():
        raise Http404
    content_type = "text/csv" if filename.endswith(".csv") else "text/plain"
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=filename,
        content_type=f"{content_type}; charset=utf-8",
    )


def job_state(batch):
    """What the job's page shows and polls: its step, and the counters of the step it is in
    (they only go forward within a step: the check counts rows read and checked, out of at
    most the file's lines; the import rows read, checked and written, out of the rows the
    check found)."""
    active = batch.status in import_jobs.ACTIVE
    importing = batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    if active:
        counts = import_jobs.progress(batch)
    elif batch.rows_read:
        # The import's final counts; the live ones may have stopped a chunk short.
        counts = {"read": batch.rows_read, "checked": batch.rows_read}
        counts["written"] = batch.rows_imported
    else:
        read = batch.preview.get("read", 0)
        counts = {"read": read, "checked": read, "written": 0}
    step = "import" if importing or batch.rows_read else "check"
    if step == "import":
        total, done = batch.preview.get("read"), counts.get("written", 0)
    else:
        total, done = batch.preview.get("rows_at_most"), counts.get("checked", 0)
    return {
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "active": active,
        "done": batch.status not in (*import_jobs.ACTIVE, ImportStatus.PREVIEWED),
        "step": step,
        "total": total,
        "progress": min(done, total) if total else None,
        "read": counts.get("read", 0),
        "checked": counts.get("checked", 0),
        "written": counts.get("written", 0),
        "message": batch.message,
    }
