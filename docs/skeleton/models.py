"""What the app stores: school visits, each bound to one school."""

from __future__ import annotations

from django.db import models

from districtpm.core.scoping import ScopedQuerySet
from districtpm.org.models import School


class SchoolVisit(models.Model):
    """One visit to a school, seen by whoever's scope holds the school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField()
    focus = models.CharField(max_length=200)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "school__name"]

    def __str__(self) -> str:
        return f"{self.school} on {self.visited_on:%d %b %Y}"
