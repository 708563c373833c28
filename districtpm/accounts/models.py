"""Who holds which role, over which school, network or caseload. (Which action team a team role
works on is the team's membership, kept by the action plans app.)"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from districtpm.core.roles import NEEDS_NETWORK, NEEDS_SCHOOL, NEEDS_TEAM, ROLE_SCOPE, Role


class RoleAssignment(models.Model):
    """One role held by one user, bound to the scope that role needs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        "org.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "org.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "school", "network"], name="unique_role_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.scope_label})"

    @property
    def scope(self) -> str:
        return ROLE_SCOPE[self.role]

    @property
    def scope_label(self) -> str:
        if self.school_id:
            return str(self.school)
        if self.network_id:
            return str(self.network)
        if self.role in NEEDS_TEAM:
            # Which teams is the action team's to say (its members): this app stands below it.
            return "Action teams"
        return "District"

    def clean(self) -> None:
        if self.role in NEEDS_SCHOOL and not self.school_id:
            raise ValidationError({"school": "This role must be given a school."})
        if self.role in NEEDS_NETWORK and not self.network_id:
            raise ValidationError({"network": "This role must be given a network."})
        if self.role not in NEEDS_SCHOOL and self.school_id:
            raise ValidationError({"school": "This role is not bound to one school."})
        if self.role not in NEEDS_NETWORK and self.network_id:
            raise ValidationError({"network": "This role is not bound to one network."})


class CaseloadEntry(models.Model):
    """A staff member an evaluator supervises: the evaluator's caseload."""

    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caseload"
    )
    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="evaluators")
    school_year = models.ForeignKey("org.SchoolYear", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = "caseload entries"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluator", "staff", "school_year"], name="unique_caseload_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} evaluates {self.staff} ({self.school_year})"
