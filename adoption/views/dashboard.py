from django.shortcuts import render

from ..permissions import role_required


@role_required
def overview(request):
    return render(request, "adoption/overview.html", {})
