# Managers view the corporation and the dated organisation and territory facts (roles.py).
from django.contrib.auth.management import create_permissions
from django.db import migrations


def apply_roles(apps, schema_editor):
    # As 0007_outreach_plan: make sure every model's permissions exist, then give the roles
    # exactly theirs.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from adoption.roles import apply_role_permissions

    apply_role_permissions(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), only_existing=True
    )


class Migration(migrations.Migration):
    dependencies = [("adoption", "0010_merge")]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
