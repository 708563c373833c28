"""The work item shape that plan key actions and action-team actions share."""

from __future__ import annotations

import datetime as dt

from districtpm.actionplans.models import PlanAction
from districtpm.core.models import WorkItem
from districtpm.plans.models import KeyAction

TODAY = dt.date(2026, 3, 10)


def test_key_actions_and_plan_actions_are_work_items_with_one_status_enum():
    assert issubclass(KeyAction, WorkItem) and issubclass(PlanAction, WorkItem)
    assert KeyAction.Status is PlanAction.Status is WorkItem.Status
    for model in (KeyAction, PlanAction):
        names = {f.name for f in model._meta.get_fields()}
        assert {"name", "milestone", "owner", "due_date", "status"} <= names
    assert "resources" in {f.name for f in PlanAction._meta.get_fields()}


def test_an_open_item_past_its_due_date_is_overdue():
    late = PlanAction(name="Train coaches", due_date=TODAY - dt.timedelta(days=1))
    assert late.is_overdue(TODAY)
    late.status = WorkItem.Status.DONE
    assert not late.is_overdue(TODAY)
    assert not KeyAction(name="Due today", due_date=TODAY).is_overdue(TODAY)
    assert not KeyAction(name="No date").is_overdue(TODAY)
