"""A record of the demo district that was built, so re-running the demo reuses it."""

from __future__ import annotations

from django.db import models


class DemoBuild(models.Model):
    """The scale and seed of the demo district in this database."""

    scale = models.CharField(max_length=10)
    seed = models.IntegerField()
    built_at = models.DateTimeField(auto_now_add=True)
    schools = models.IntegerField(default=0)
    staff = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scale} demo district (seed {self.seed})"
