from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from adoption.roles import apply_role_permissions

    # Models added by later migrations have no permissions yet: those migrations apply the
    # roles again once they exist (0007_outreach_plan).
    apply_role_permissions(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), only_existing=True
    )


def remove_role_groups(apps, schema_editor):
    from adoption.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(
        name__in=[role.value for role in ROLE_PERMISSIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
