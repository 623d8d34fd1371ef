from datetime import timedelta

from django.utils import timezone

from adoption.models import OutreachActivity


def _activity(user, branch, commune, age):
    activity = OutreachActivity.objects.create(
        branch=branch, date=timezone.localdate(), commune=commune, created_by=user
    )
    OutreachActivity.objects.filter(pk=activity.pk).update(created_at=timezone.now() - age)
    return activity


def test_branch_staff_may_change_their_own_entry_in_the_admin_within_a_week(
    client_for, users, branches, areas
):
    activity = _activity(users["staff_bq"], branches["bq"], areas["tan_quang"], timedelta(days=6))
    response = client_for(users["staff_bq"]).get(
        f"/admin/adoption/outreachactivity/{activity.pk}/change/"
    )
    assert response.status_code == 200
    assert b'name="households_reached"' in response.content


def test_branch_staff_cannot_change_an_entry_older_than_a_week_in_the_admin(
    client_for, users, branches, areas
):
    activity = _activity(users["staff_bq"], branches["bq"], areas["tan_quang"], timedelta(days=8))
    client = client_for(users["staff_bq"])
    url = f"/admin/adoption/outreachactivity/{activity.pk}/change/"
    # The page still opens read-only (view permission); a post changes nothing.
    assert b'name="households_reached"' not in client.get(url).content
    response = client.post(url, {"households_reached": "5", "branch": branches["bq"].pk})
    assert response.status_code == 403
    activity.refresh_from_db()
    assert activity.households_reached == 0
