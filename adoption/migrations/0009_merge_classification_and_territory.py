# Channel classification over time (0007_channel_classification) and the organisation and
# territory over time (0007/0008) were written side by side; neither depends on the other.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0007_channel_classification"),
        ("adoption", "0008_carry_over_organisation_and_territory"),
    ]

    operations = []
