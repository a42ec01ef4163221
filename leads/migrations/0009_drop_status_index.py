"""Drop the index on status alone (seven values, 15% of the table each).

At 1,000,000 leads the planner ANDed it with the owner's index for a rep's "New"
count on the home page: a 151,275-entry bitmap, 12 ms. Without it the same count
reads the owner's 1,218 open leads through lead_owner_state_created and filters
status: 1.1 ms. Every list that filters on status already narrows by owner, team,
business unit or state first.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_list_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_status",
        ),
    ]
