"""Team membership becomes the relation access is decided by: every action team role assignment
that named a team is linked to the team of that name as a member, before the name goes."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations, models


def link_assignments_by_name(apps, schema_editor) -> None:
    ActionTeam = apps.get_model("actionplans", "ActionTeam")
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    teams = {team.name: team for team in ActionTeam.objects.all()}
    for ra in RoleAssignment.objects.filter(
        role__in=["action_team_lead", "action_team_member"]
    ).exclude(team=""):
        team = teams.get(ra.team)
        if team is not None:
            team.members.add(ra.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("actionplans", "0002_initial"),
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    # The assignments' team names are read here, so this runs before accounts removes them.
    run_before = [("accounts", "0002_remove_roleassignment_team")]

    operations = [
        migrations.RunPython(link_assignments_by_name, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="actionteam",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                help_text="Who works on the team; with an action team role, they reach its work.",
                related_name="action_teams",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
