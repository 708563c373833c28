"""Action team roles no longer name their team: the team's membership (actionplans) says who is
on it. The action plans migration that links assignments to teams by name runs before this one."""

from __future__ import annotations

from django.db import migrations, models


def merge_team_duplicates(apps, schema_editor) -> None:
    """One assignment per user, role, school and network: the same role on two teams was two."""
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    seen: set[tuple] = set()
    for ra in RoleAssignment.objects.order_by("pk"):
        key = (ra.user_id, ra.role, ra.school_id, ra.network_id)
        if key in seen:
            ra.delete()
        else:
            seen.add(key)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(model_name="roleassignment", name="unique_role_assignment"),
        migrations.RunPython(merge_team_duplicates, migrations.RunPython.noop),
        migrations.RemoveField(model_name="roleassignment", name="team"),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.UniqueConstraint(
                fields=("user", "role", "school", "network"), name="unique_role_assignment"
            ),
        ),
    ]
