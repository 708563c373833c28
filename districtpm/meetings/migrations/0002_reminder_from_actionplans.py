"""Reminders move here from action plans; their table, actionplans_reminder, stays as it is."""

import django.db.models.deletion
from django.db import migrations, models



class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("actionplans", "0003_team_members_from_role_assignments"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Reminder",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField()),
                        ("sent_to", models.EmailField(max_length=254)),
                        ("sent_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "meeting",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="meetings.meeting",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminders",
                                to="actionplans.actionteam",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "actionplans_reminder",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("team", "month"), name="one_reminder_per_team_month"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
