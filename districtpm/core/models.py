"""Shapes shared by the apps' models: abstract, so each app keeps its own table."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from districtpm.core.scoping import ScopedQuerySet


class WorkItem(models.Model):
    """A piece of planned work: a title, an owner, a due date, a status and its resources.

    Plan key actions and action-team actions are work items now; improvement steps, plans of
    support and process-map steps are meant to be. Core is not an installed app, which is fine
    for an abstract model: it has no table and takes its app from the model that inherits it.
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DELAYED = "delayed", "Delayed"

    name = models.CharField(max_length=200)
    milestone = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    resources = models.CharField(max_length=300, blank=True, help_text="People, time or money.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["due_date", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE

    def is_overdue(self, today: dt.date) -> bool:
        """Open and past its due date."""
        return self.is_open and self.due_date is not None and self.due_date < today

    @property
    def overdue(self) -> bool:
        """Overdue today, for templates."""
        from django.utils import timezone

        return self.is_overdue(timezone.localdate())
