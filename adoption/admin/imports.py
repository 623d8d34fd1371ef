"""Admin for imports: the record of every import, and the upload → preview → confirm pages.

The uploaded file waits between preview and confirm in IMPORT_UPLOADS_DIR (private, never
served), named by its SHA-256, so the file confirmed is exactly the file previewed. Confirm
queues an import job (adoption.import_jobs) and shows its progress page, which the admin may
leave and come back to, and from which a running job can be cancelled.
"""

import hashlib
import re
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
from ..models import ImportBatch
from ..permissions import may_import

PREVIEW_ROWS = 10
SHOWN_PROBLEMS = 500
UPLOAD_KEPT_SECONDS = 24 * 60 * 60
SHA256 = re.compile(r"[0-9a-f]{64}")
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


class ConfirmForm(forms.Form):
    sha256 = forms.RegexField(regex=SHA256, widget=forms.HiddenInput)
    file_name = forms.CharField(max_length=255, widget=forms.HiddenInput)
    skip_invalid = forms.BooleanField(required=False, widget=forms.HiddenInput)


def _uploads_dir():
    directory = Path(settings.IMPORT_UPLOADS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _keep_upload(uploaded):
    """Store the upload under its checksum; return the checksum."""
    directory = _uploads_dir()
    # Previews that were never confirmed are not kept for long.
    for stale in directory.iterdir():
        if stale.stat().st_mtime < time.time() - UPLOAD_KEPT_SECONDS:
            stale.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False) as out:
        for block in uploaded.chunks():
            digest.update(block)
            out.write(block)
    sha256 = digest.hexdigest()
    Path(out.name).replace(directory / sha256)
    return sha256


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "kind",
        "file_name",
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
    readonly_fields = ["rejects"]
    exclude = ["rejects_file"]

    @admin.display(description=gettext_lazy("rejected rows file"))
    def rejects(self, batch):
        if not batch.rejects_file:
            return "-"
        url = reverse("admin:adoption_importbatch_rejects", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, Path(batch.rejects_file).name)

    # The record is written by the import itself; nobody edits or deletes it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
            path(
                "confirm/<str:kind>/",
                view(self.confirm_view),
                name="adoption_importbatch_confirm",
            ),
            path("<int:pk>/job/", view(self.job_view), name="adoption_importbatch_job"),
            path(
                "<int:pk>/job.json",
                view(self.job_json_view),
                name="adoption_importbatch_job_json",
            ),
            path(
                "<int:pk>/cancel/",
                view(self.cancel_view),
                name="adoption_importbatch_cancel",
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

    def _render(self, request, kind, context):
        return TemplateResponse(
            request,
            "admin/adoption/importbatch/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "kind": kind,
                "title": _("Import %s") % ImportKind(kind).label.lower(),
                "columns": COLUMNS_HELP[kind],
                **context,
            },
        )

    def upload_view(self, request, kind):
        """Upload a file and preview it: the first rows, the counts and every problem."""
        self._check_kind(request, kind)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return self._render(request, kind, {"form": form})
        uploaded = form.cleaned_data["file"]
        sha256 = _keep_upload(uploaded)
        outcome = importers.run(
            kind,
            _uploads_dir() / sha256,
            file_name=uploaded.name,
            user=request.user,
            skip_invalid=form.cleaned_data["skip_invalid"],
            record=False,
            preview_rows=PREVIEW_ROWS,
        )
        importable = outcome.rows_valid and (outcome.ok or form.cleaned_data["skip_invalid"])
        if not importable:
            (_uploads_dir() / sha256).unlink(missing_ok=True)
        confirm = ConfirmForm(
            initial={
                "sha256": sha256,
                "file_name": uploaded.name[:255],
                "skip_invalid": form.cleaned_data["skip_invalid"],
            }
        )
        return self._render(
            request,
            kind,
            {
                "form": UploadForm(),
                "outcome": outcome,
                "problems": outcome.problems[:SHOWN_PROBLEMS],
                "more_problems": max(0, outcome.problem_count - SHOWN_PROBLEMS),
                "confirm": confirm if importable else None,
            },
        )

    def confirm_view(self, request, kind):
        """Import the previewed file for real, then show its record."""
        self._check_kind(request, kind)
        if request.method != "POST":
            return redirect("admin:adoption_importbatch_upload", kind=kind)
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        stored = _uploads_dir() / form.cleaned_data["sha256"]
        if not stored.exists():
            messages.error(request, _("The uploaded file is gone; upload it again."))
            return redirect("admin:adoption_importbatch_upload", kind=kind)
        batch = import_jobs.queue(
            kind,
            stored,
            file_name=form.cleaned_data["file_name"],
            sha256=form.cleaned_data["sha256"],
            user=request.user,
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        return redirect("admin:adoption_importbatch_job", batch.pk)

    def _job(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        self._check_kind(request, batch.kind)
        return batch

    def _job_state(self, batch):
        counts = import_jobs.progress(batch)
        done = batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        if done:
            # The record's final counts; the live ones may have stopped a chunk short.
            counts = {
                "read": batch.rows_read,
                "checked": batch.rows_read,
                "written": batch.rows_imported,
            }
        return {
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "done": done,
            "read": counts.get("read", 0),
            "checked": counts.get("checked", 0),
            "written": counts.get("written", 0),
            "message": batch.message,
        }

    def job_view(self, request, pk):
        """An import job's progress and outcome; the page polls job_json_view while it runs."""
        batch = self._job(request, pk)
        return TemplateResponse(
            request,
            "admin/adoption/importbatch/job.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import of %s") % batch.file_name,
                "batch": batch,
                "state": self._job_state(batch),
                "may_cancel": batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
            },
        )

    def job_json_view(self, request, pk):
        response = JsonResponse(self._job_state(self._job(request, pk)))
        response["Cache-Control"] = "no-store"
        return response

    def cancel_view(self, request, pk):
        """Stop a queued or running import: its rows are rolled back, the file can come again."""
        batch = self._job(request, pk)
        if request.method != "POST":
            return redirect("admin:adoption_importbatch_job", pk)
        if import_jobs.cancel(batch):
            messages.info(request, _("Cancelling: nothing from this file will be kept."))
        else:
            messages.error(request, _("This import is over; there is nothing to cancel."))
        return redirect("admin:adoption_importbatch_job", pk)

    def rejects_view(self, request, pk):
        """The rejected rows of an import, for whoever may run that kind of import."""
        batch = get_object_or_404(ImportBatch, pk=pk)
        self._check_kind(request, batch.kind)
        if not batch.rejects_file or not Path(batch.rejects_file).is_file():
            raise Http404
        return FileResponse(
            open(batch.rejects_file, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=True,
            filename=f"{Path(batch.file_name).stem}-rejects.csv",
            content_type="text/csv; charset=utf-8",
        )
