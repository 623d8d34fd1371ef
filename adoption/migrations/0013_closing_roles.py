from django.contrib.auth.management import create_permissions
from django.db import migrations, models

APPROVALS = ("approve_branch_month", "approve_company_month")


def give_approvals(apps, schema_editor):
    # The month's approval permissions (0011_closing) exist only after post_migrate: make them
    # now and give them to the roles (adoption/roles.py: branch staff sign their branch's month
    # off, managers the company's).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from adoption.roles import apply_role_permissions

    apply_role_permissions(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), only_existing=True
    )


def take_approvals(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="adoption", codename__in=APPROVALS)
        )


class Migration(migrations.Migration):
    dependencies = [("adoption", "0012_merge")]

    operations = [
        # "reopened" and "reversal" were never written: a month is not reopened (an admin
        # unlocks it), a reversal is audited as its own Reversal row.
        migrations.AlterField(
            model_name="monthevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("completed", "Marked complete"),
                    ("closed_by_admin", "Closed by an admin with sources missing"),
                    ("branch_approved", "Approved by the branch"),
                    ("company_approved", "Approved by the company"),
                    ("locked", "Locked"),
                    ("unlocked", "Unlocked"),
                ],
                max_length=30,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(give_approvals, take_approvals),
    ]
