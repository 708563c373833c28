"""Who sees and changes workshops, registrations and note catchers."""

from __future__ import annotations
