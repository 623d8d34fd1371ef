"""Report subscriptions, managed in the app by managers; and the two signed links every email
carries (unsubscribe, mute an alert kind), which need no login."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import AlertKind, AlertMute, Subscription
from ..permissions import is_manager, visible_branches
from ..reports.forms import SubscriptionForm
from ..reports.tokens import read_mute, read_unsubscribe


def _managed(user):
    """(company, its branches the manager sees) for a manager; refused for everyone else."""
    if not is_manager(user):
        raise PermissionDenied
    branches = visible_branches(user).select_related("company").order_by("name")
    first = branches.first()
    if first is None:
        raise Http404
    return first.company, branches.filter(company=first.company)


@login_required
def subscription_list(request):
    company, branches = _managed(request.user)
    form = SubscriptionForm(
        request.POST or None, company=company, branches=branches, manager=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Subscription saved."))
        return redirect("dashboard:subscriptions")
    subscriptions = Subscription.objects.filter(company=company).select_related(
        "user", "branch", "commune"
    )
    context = {"form": form, "subscriptions": subscriptions.order_by("pk"), "company": company}
    return render(request, "adoption/subscriptions.html", context)


@login_required
@require_POST
def subscription_delete(request, pk):
    company, _branches = _managed(request.user)
    get_object_or_404(Subscription, pk=pk, company=company).delete()
    messages.success(request, _("Subscription removed."))
    return redirect("dashboard:subscriptions")


def unsubscribe(request, token):
    """GET asks, POST does: a mail scanner that follows links must not unsubscribe anyone."""
    subscription = get_object_or_404(Subscription, pk=read_unsubscribe(token) or 0)
    done = request.method == "POST"
    if done:
        subscription.active = False
        subscription.save(update_fields=["active"])
    context = {"subscription": subscription, "done": done, "action": "unsubscribe"}
    return render(request, "adoption/unsubscribe.html", context)


def mute_alert(request, token):
    found = read_mute(token)
    if found is None or found[1] not in AlertKind.values:
        raise Http404
    email, kind = found
    done = request.method == "POST"
    if done:
        AlertMute.objects.get_or_create(email=email.lower(), kind=kind)
    context = {"kind": AlertKind(kind).label, "email": email, "done": done, "action": "mute"}
    return render(request, "adoption/unsubscribe.html", context)
