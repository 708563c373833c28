"""What the metrics app tells the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a compute run has stored its values (`run`: the ComputeRun). The plan refreshes
# goal status on it; anything else built on metric values may listen too.
values_recomputed = Signal()
