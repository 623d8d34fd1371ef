"""The entry and plan forms offer the branch's places of today, and two of one name are told
apart (the same commune name twice in one list is a defect)."""

import pytest
from django.utils import timezone

from adoption import territory
from adoption.forms import OutreachForm, OutreachPlanForm
from adoption.models import AdminArea


@pytest.mark.parametrize("form_class", [OutreachForm, OutreachPlanForm])
def test_two_communes_of_one_name_are_told_apart(form_class, areas, branches):
    twin = AdminArea.objects.create(
        level="commune", code="00999", name="Xã Tân Quang", parent=areas["province"]
    )
    territory.reassign_communes([(twin, branches["bq"])], timezone.localdate().replace(day=1))

    field = form_class(branch=branches["bq"]).fields["place"]
    labels = [label for value, label in field.choices if value]

    assert sum("Xã Tân Quang" in label for label in labels) >= 2
    assert len(labels) == len(set(labels)), labels
    assert "Xã Tân Quang (Huyện Bắc Quang)" in labels
