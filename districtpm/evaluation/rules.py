"""Who reads what of educator evaluation. The framework (components, weights, cut points) is
not personnel data: everyone in the section reads it; the district admin and HR partners set
it. Evaluations are personnel records (below). The ratings by school, suppressed, are for the
district's leaders, the board, supervisors and HR."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import Role as R
from districtpm.core.roles import register_permissions
from districtpm.core.scoping import Access, follows, scope_rule, strict_scope

# The section is reached by those who work with evaluations and by those who see only the
# ratings by school; which records each reads is decided row by row below.
RATINGS_READERS = {
    R.DISTRICT_ADMIN,
    R.PM_OFFICE,
    R.SENIOR_LEADER,
    R.BOARD_MEMBER,
    R.NETWORK_SUPERVISOR,
    R.HR_PARTNER,
}
register_permissions(
    {
        "evaluation.view": {R.PRINCIPAL, R.EVALUATOR, R.TEACHER} | RATINGS_READERS,
        "evaluation.ratings": RATINGS_READERS,
        "evaluation.framework": {R.DISTRICT_ADMIN, R.HR_PARTNER},
    }
)


@scope_rule("evaluation.Framework")
def frameworks(access: Access) -> Q | None:
    return Q() if access.can("evaluation.view") else None


@scope_rule("evaluation.Framework", "change")
@scope_rule("evaluation.Framework", "delete")
def frameworks_set(access: Access) -> Q | None:
    return Q() if access.can("evaluation.framework") else None


for _child, _parent in [
    ("Component", "framework"),
    ("WeightSet", "framework"),
    ("OverallLevel", "framework"),
    ("Indicator", "component"),
    ("Weight", "weight_set"),
]:
    follows(f"evaluation.{_child}", parent=_parent)


# --- evaluations: personnel records ---------------------------------------------------------
# A teacher reads their own; an evaluator their caseload's (that year); a principal their
# school's; HR partners every one. Nobody else reads an individual record — not the PM office,
# senior leaders, the board, network supervisors or the district admin — and a site superuser
# is held to the same rule (strict_scope). Scores and rationales are changed by the evaluator
# and the principal while the evaluation is open (actions.py checks that it is).

strict_scope("evaluation.Evaluation", "evaluation.ComponentScore")


def _caseload(access: Access) -> Q:
    """The evaluations of the user's caseload: the staff they evaluate in that year."""
    from django.db.models import Exists, OuterRef

    from districtpm.accounts.models import CaseloadEntry

    return Q(
        Exists(
            CaseloadEntry.objects.filter(
                evaluator_id=access.user_id,
                staff_id=OuterRef("staff_id"),
                school_year_id=OuterRef("school_year_id"),
            )
        )
    )


def _holds(access: Access, role: str) -> bool:
    """Whether the user holds the role itself (has_role answers yes for any superuser)."""
    return role in access.roles


@scope_rule("evaluation.Evaluation")
def evaluations_read(access: Access) -> Q | None:
    if not access.user_id:
        return None
    if _holds(access, R.HR_PARTNER):
        return Q()
    condition = Q(staff__user_id=access.user_id)  # one's own, whatever one's role
    if _holds(access, R.EVALUATOR):
        condition |= _caseload(access)
    schools = access.schools_for(R.PRINCIPAL)
    if schools:
        condition |= Q(school_id__in=schools)
    return condition


@scope_rule("evaluation.Evaluation", "change")
def evaluations_scored(access: Access) -> Q | None:
    """Whose evaluations a user scores and finalises: their caseload's, their school's — never
    their own (a principal is often evaluated at their own school)."""
    if not access.user_id:
        return None
    condition = None
    if _holds(access, R.EVALUATOR):
        condition = _caseload(access)
    schools = access.schools_for(R.PRINCIPAL)
    if schools:
        school_q = Q(school_id__in=schools)
        condition = school_q if condition is None else condition | school_q
    return None if condition is None else condition & ~_own(access)


def _own(access: Access) -> Q:
    return Q(staff__user_id=access.user_id)


follows("evaluation.ComponentScore", parent="evaluation", actions=("view", "change", "delete"))


@scope_rule("evaluation.Evaluation", "manage")
def evaluations_managed(access: Access) -> Q | None:
    """Whose plans of support, non-renewals and appeals a user records: their school's (the
    principal), everyone's (HR partners)."""
    if not access.user_id:
        return None
    if _holds(access, R.HR_PARTNER):
        return ~_own(access)
    schools = access.schools_for(R.PRINCIPAL)
    return Q(school_id__in=schools) & ~_own(access) if schools else None


# The year's record around an evaluation reads as the evaluation does, with two exceptions for
# the teacher: an observation reaches them once it is shared, a non-renewal once notice is given.
# Observations, conversations and follow-ups are written by the scorers (records checks the
# teacher's own parts: a reflection, an acknowledgement); the rest by those who manage.
_CHILDREN = {
    "Observation": ("evaluation", "change"),
    "ObservationNote": ("observation__evaluation", "change"),
    "ObservationScore": ("observation__evaluation", "change"),
    "Conversation": ("evaluation", "change"),
    "FollowUp": ("evaluation", "change"),
    "SupportPlan": ("evaluation", "manage"),
    "CheckIn": ("plan__evaluation", "manage"),
    "NonRenewal": ("evaluation", "manage"),
    "Appeal": ("evaluation", "manage"),
}
_HELD_BACK = {  # what the teacher does not see of their own record yet
    "Observation": Q(shared_at__isnull=True),
    "ObservationNote": Q(observation__shared_at__isnull=True),
    "ObservationScore": Q(observation__shared_at__isnull=True),
    "NonRenewal": Q(notice_given_on__isnull=True),
}
strict_scope(*(f"evaluation.{name}" for name in _CHILDREN))


def _through(path: str, action: str, held_back: Q | None = None):  # noqa: ANN202
    def rule(access: Access) -> Q | None:
        from districtpm.core.scoping import condition_for
        from districtpm.evaluation.models import Evaluation

        condition = condition_for(Evaluation, access, action)
        if condition is None:
            return None
        if action == "view" and held_back is not None:
            own = Q(**{f"{path}__staff__user_id": access.user_id})
            reached = Q(**{f"{path}__in": Evaluation.objects.filter(condition).values("pk")})
            return reached & ~(own & held_back)
        if not condition:
            return Q()
        return Q(**{f"{path}__in": Evaluation.objects.filter(condition).values("pk")})

    return rule


for _name, (_path, _writes) in _CHILDREN.items():
    _label = f"evaluation.{_name}"
    scope_rule(_label)(_through(_path, "view", _HELD_BACK.get(_name)))
    for _action in ("change", "delete"):
        scope_rule(_label, _action)(_through(_path, _writes))
follows("evaluation.Window", parent="framework")
