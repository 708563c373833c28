"""Scorecard rows kept between requests, until new metric values or a change to the plan.

Working out a scorecard's rows (every goal's values, status, trend, forecast and gaps) and
rendering them are the expensive part of the page, and both are the same for every viewer whose
scope reads the same rows. Each server process keeps the rows it worked out in memory (with the
body rendered from them, scorecard.Scorecard.bodies), under a key made of:

- the generation token (the CacheGeneration row "scorecards"), which changes on every recompute
  and every change to the plan, its priorities, goals or targets, and the metrics, schools,
  networks or school years. It is read from the database on every request (one small query),
  so a change made through any server process is seen by all of them at once;
- what the viewer's scope lets the scorecard read (`scope_key`): viewers share rows only if
  their scopes filter goals and values the same way;
- whatever else the rows depend on, given by the caller: the plan, the entity, its children,
  the expected period and the current school year (these follow the calendar, not an event).

Only the current generation is kept: the first request that sees a new token drops the rest.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, transaction

from districtpm.plans.models import CacheGeneration

T = TypeVar("T")

GENERATION = "scorecards"
# Entries kept per process: the district, every network and school, for a few dozen scopes.
MAX_ENTRIES = 1024

# Saving or deleting one of these may change what a scorecard shows.
WATCHED = (
    "plans.Plan",
    "plans.Priority",
    "plans.Goal",
    "plans.Target",
    "metrics.Metric",
    "org.District",
    "org.Network",
    "org.School",
    "org.SchoolYear",
)


def token() -> str | None:
    """The current generation token; None before anything was ever bumped."""
    return CacheGeneration.objects.filter(name=GENERATION).values_list("token", flat=True).first()


def bump(*_: Any, **__: Any) -> None:
    """Give the scorecards a new generation token, so every process works its rows out again.

    Written in the caller's transaction, if any: whoever reads the new token also reads the
    change. Called once values are recomputed (progress.refresh_on_recompute), and the receiver
    of the WATCHED models' saves and deletes."""
    new = uuid.uuid4().hex
    if CacheGeneration.objects.filter(name=GENERATION).update(token=new):
        return
    try:
        with transaction.atomic():
            CacheGeneration.objects.create(name=GENERATION, token=new)
    except IntegrityError:  # another process created the row first
        CacheGeneration.objects.filter(name=GENERATION).update(token=new)


def _sql(queryset: Any) -> str:
    try:
        return str(queryset.query)
    except EmptyResultSet:  # a scope that reaches no row
        return "nothing"


def scope_key(user: Any) -> str:
    """What the viewer's scope lets a scorecard read, as the SQL of the goals and metric values
    restricted to them (the children shown are part of the caller's key). Two viewers with the
    same SQL read exactly the same rows; any difference in scope gives another key."""
    from districtpm.metrics.models import MetricValue
    from districtpm.plans.models import Goal

    text = "\n".join(
        _sql(model.objects.visible_to(user).order_by()) for model in (Goal, MetricValue)
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class _Memo:
    """The entries of one generation, least recently used dropped first; safe across threads.

    A lookup with another generation than the kept one drops everything and keeps that one
    from then on; an entry worked out under a generation no longer kept is not stored."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.generation: str | None = None
        self.entries: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, generation: str, key: tuple) -> Any:
        with self.lock:
            if generation != self.generation:
                self.generation, self.entries = generation, OrderedDict()
                return None
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, generation: str, key: tuple, value: Any) -> None:
        with self.lock:
            if generation != self.generation:
                return  # worked out while the generation changed: nobody will ask for it
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.generation, self.entries = None, OrderedDict()


_memo = _Memo(MAX_ENTRIES)


def cached(key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s result for `key` in the current generation: kept, or worked out now.

    The token is read before `compute` reads anything, so rows worked out while a change is
    being made are kept under the old token at worst, which nobody asks for any more. The result
    is shared by every request that asks for the same key: callers must not change it (but may
    add to a dict in it what they derive from it alone, as the scorecard page does its body)."""
    generation = token()
    if generation is None:
        return compute()
    found = _memo.get(generation, key)
    if found is None:
        found = compute()
        _memo.put(generation, key, found)
    return found


def connect_receivers() -> None:
    """Bump the generation whenever one of the WATCHED models is saved or deleted."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(bump, sender=model, dispatch_uid=f"plans.cache.saved.{label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"plans.cache.deleted.{label}")
