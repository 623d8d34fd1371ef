"""Names people can tell apart: a list of communes (or villages) where two share a name gets
the parent added, and the code where the parent is the same too; a branch's label is its
district's name only for months when the district existed."""

from collections import Counter

from django.utils import timezone

from .models import BranchVersion
from .models.validity import in_force


def area_labels(areas):
    """{area id: label} for these AdminArea rows (parent selected), unique within the list."""
    areas = list(areas)
    names = Counter(a.name for a in areas)

    def with_parent(area):
        if names[area.name] > 1 and area.parent_id:
            return f"{area.name} ({area.parent.name})"
        return area.name

    labels = {a.pk: with_parent(a) for a in areas}
    repeated = Counter(labels.values())
    for area in areas:
        if repeated[labels[area.pk]] > 1:
            parent = f"{area.parent.name}, " if area.parent_id else ""
            labels[area.pk] = f"{area.name} ({parent}{area.code or area.pk})"
    return labels


def _exists_on(area, on):
    return (area.valid_from is None or area.valid_from <= on) and (
        area.valid_to is None or area.valid_to >= on
    )


def branch_label(branch, on=None):
    """What a branch is called in figures for month `on` (default today): its district's name
    where the district existed then ("Huyện Bắc Quang" until 06/2025), else the branch's name
    then."""
    on = on or timezone.localdate()
    district = branch.district if branch.district_id else None
    if district is not None and _exists_on(district, on):
        return district.name
    version = BranchVersion.objects.filter(in_force(on), branch=branch).only("name").first()
    return version.name if version else branch.name
