from __future__ import annotations

from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "districtpm.meetings"
    label = "meetings"
    verbose_name = "Meeting cycles"
