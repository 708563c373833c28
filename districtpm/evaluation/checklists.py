"""What is due next, for each part a user plays in the evaluation year: the school leader
(every teacher of their school), the evaluator (their caseload) and the teacher (their own
evaluation). Each item counts what is done against what is due from the record, with the
window's last day; the first item not done whose day is nearest is "next"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from districtpm.accounts.models import CaseloadEntry
from districtpm.core.roles import Role
from districtpm.core.scoping import access_for
from districtpm.evaluation import yearplan
from districtpm.evaluation.models import Conversation, Evaluation, FollowUp, Window

K = Window.Kind


@dataclass
class Item:
    label: str
    due: dt.date | None
    done: int
    total: int
    url: str = ""

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass
class Checklist:
    part: str  # "School leader", "Evaluator", "Teacher"
    who: str  # whose evaluations it covers
    items: list[Item] = field(default_factory=list)

    def next(self) -> Item | None:
        open_items = [i for i in self.items if not i.complete]
        return min(open_items, key=lambda i: i.due or dt.date.max) if open_items else None


def _counts(evaluations: Any, windows: dict[str, Window], at_risk_ids: set[int]) -> list[Item]:
    """The items a school leader and an evaluator share, over a set of evaluations."""
    rows = evaluations.annotate(
        first_cycle=Count(
            "observations",
            filter=Q(observations__observed_on__lte=_closes(windows, K.OBSERVATION_1)),
            distinct=True,
        ),
        second_cycle=Count(
            "observations",
            filter=Q(observations__observed_on__gt=_closes(windows, K.OBSERVATION_1)),
            distinct=True,
        ),
        mid=Exists(
            Conversation.objects.filter(
                evaluation=OuterRef("pk"), kind="mid_year", held_on__isnull=False
            )
        ),
        end=Exists(
            Conversation.objects.filter(
                evaluation=OuterRef("pk"), kind="end_of_year", held_on__isnull=False
            )
        ),
        followed_up=Exists(FollowUp.objects.filter(evaluation=OuterRef("pk"))),
    ).values_list("pk", "first_cycle", "second_cycle", "mid", "end", "followed_up", "state")
    rows = list(rows)
    n = len(rows)
    risky = [r for r in rows if r[0] in at_risk_ids]
    due = {kind: w.closes for kind, w in windows.items()}
    return [
        Item(
            "Observed in the first cycle", due.get(K.OBSERVATION_1), sum(r[1] > 0 for r in rows), n
        ),
        Item("Mid-year conversation held", due.get(K.MID_YEAR), sum(r[3] for r in rows), n),
        Item(
            "Follow-up email to each teacher at risk",
            due.get(K.MID_YEAR),
            sum(r[5] for r in risky),
            len(risky),
        ),
        Item(
            "Observed in the second cycle", due.get(K.OBSERVATION_2), sum(r[2] > 0 for r in rows), n
        ),
        Item("End-of-year conversation held", due.get(K.END_OF_YEAR), sum(r[4] for r in rows), n),
        Item("Final rating given", due.get(K.RATINGS_DUE), sum(r[6] == "final" for r in rows), n),
    ]


def _closes(windows: dict[str, Window], kind: str) -> dt.date:
    w = windows.get(kind)
    return w.closes if w else dt.date.max


def checklists(
    user: Any, school_year: Any, at_risk_ids: set[int], *, today: dt.date | None = None
) -> list[Checklist]:
    """The user's checklists for the year, one per part they play (the evaluations counted
    are those they may read)."""
    today = today or timezone.localdate()
    from districtpm.evaluation.models import Framework

    framework = Framework.objects.filter(school_year=school_year).first()
    windows = yearplan.windows(framework)
    access = access_for(user)
    readable = Evaluation.objects.visible_to(user).filter(school_year=school_year)
    lists: list[Checklist] = []
    schools = access.schools_for(Role.PRINCIPAL) if Role.PRINCIPAL in access.roles else []
    if schools:
        school_rows = readable.filter(school_id__in=schools)
        evaluated = school_rows.values("staff_id")
        with_evaluator = (
            CaseloadEntry.objects.filter(school_year=school_year, staff_id__in=evaluated)
            .values("staff_id")
            .distinct()
            .count()
        )
        leader = Checklist("School leader", "every teacher of your school")
        leader.items.append(
            Item(
                "Year planned: the evaluation windows set",
                None,
                int(bool(windows)),
                1,
            )
        )
        leader.items.append(
            Item(
                "Every teacher has an evaluator",
                windows[K.GOALS].closes if K.GOALS in windows else None,
                with_evaluator,
                school_rows.count(),
                reverse("evaluation:caseloads") + f"?year={school_year.name}",
            )
        )
        leader.items += _counts(school_rows, windows, at_risk_ids)
        lists.append(leader)
    if Role.EVALUATOR in access.roles:
        caseload = readable.filter(
            Exists(
                CaseloadEntry.objects.filter(
                    evaluator_id=user.pk,
                    staff_id=OuterRef("staff_id"),
                    school_year_id=OuterRef("school_year_id"),
                )
            )
        )
        if caseload.exists():
            evaluator = Checklist("Evaluator", "your caseload")
            evaluator.items += _counts(caseload, windows, at_risk_ids)
            lists.append(evaluator)
    own = readable.filter(staff__user_id=user.pk).first()
    if own is not None:
        held = {c.kind: c for c in own.conversations.all()}
        teacher = Checklist("Teacher", "your own evaluation")
        for kind, label in [("mid_year", "mid-year"), ("end_of_year", "end-of-year")]:
            c = held.get(kind)
            teacher.items.append(
                Item(
                    f"Your reflection before the {label} conversation",
                    windows[kind].opens if kind in windows else None,
                    int(bool(c and c.reflection)),
                    1,
                    reverse("evaluation:evaluation", args=[own.pk]) + f"#{kind}",
                )
            )
            teacher.items.append(
                Item(
                    f"Acknowledge the {label} conversation",
                    windows[kind].closes if kind in windows else None,
                    int(bool(c and c.acknowledged_at)),
                    1,
                    reverse("evaluation:evaluation", args=[own.pk]) + f"#{kind}",
                )
            )
        lists.append(teacher)
    return lists
