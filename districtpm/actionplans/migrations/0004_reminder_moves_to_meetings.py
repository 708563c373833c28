"""Reminders belong to the meeting cycle (meetings.Reminder): the table stays, only the model
moves (meetings/0002 takes it over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("actionplans", "0003_team_members_from_role_assignments"),
        ("meetings", "0002_reminder_from_actionplans"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Reminder")],
            database_operations=[],
        ),
    ]
