"""Who sees and changes what in the rubrics app.

Frameworks are instruments, not data: everyone in the section reads them, the PM office and the
district admin change them. An assessment is read in one of two depths:

- **whole** — ratings of every member, evidence, the consensus view: its team and facilitator;
  for a school's self-assessment, the school's principal and its network supervisor; for the
  district rubric, the district's leaders (admin, PM office, senior leaders);
- **final ratings only** — district leaders for every school's self-assessment; the board for
  the district rubric once it is final.

Within the team a member sees the others' ratings only once they have submitted their own, or
once the facilitator reveals them; everybody else who reads the whole assessment sees them all.
Anyone else (a teacher not on the team, another school's principal) reaches nothing.
"""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import DISTRICT_LEADERS, SCHOOL_ROLES, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule, strict_scope
from districtpm.org.rules import any_of

MANAGERS = {R.DISTRICT_ADMIN, R.PM_OFFICE}
# Ratings, final ratings and their links bind a site superuser too: hidden until one's own are
# in, locked once submitted, decided by the facilitator (core/scoping.py, strict_scope).
strict_scope("rubrics.Rating", "rubrics.FinalRating", "rubrics.WorkLink")
register_permissions(
    {
        # The section: rows are then scoped assessment by assessment (a teacher sees only the
        # assessments whose team they are on, a board member the district's final result).
        "rubrics.view": DISTRICT_LEADERS | SCHOOL_ROLES | {R.TEACHER, R.BOARD_MEMBER},
        # Frameworks: import, change, new versions; and opening any assessment.
        "rubrics.manage": MANAGERS,
        # Opening a self-assessment of one's own school.
        "rubrics.assess": MANAGERS | {R.PRINCIPAL},
        # The heatmap and trends of every school a user may see in whole or in final ratings.
        "rubrics.results": DISTRICT_LEADERS | {R.NETWORK_SUPERVISOR, R.PRINCIPAL},
    }
)


def _principal_schools(access: Access) -> Q | None:
    """The schools whose self-assessments a user reads whole by role: a principal's school, a
    supervisor's network."""
    conditions = []
    school_ids = access.schools_for(R.PRINCIPAL)
    if school_ids:
        conditions.append(Q(school_id__in=school_ids))
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        conditions.append(Q(school__network_id__in=access.network_ids))
    return any_of(conditions)


def whole(access: Access) -> Q | None:
    """Assessments the user reads whole (a filter on Assessment)."""
    if not access.can("rubrics.view"):
        return None
    conditions = [Q(members__user_id=access.user_id), Q(facilitator_id=access.user_id)]
    if access.has_role(*DISTRICT_LEADERS):
        conditions.append(Q(school__isnull=True))
    by_school = _principal_schools(access)
    if by_school is not None:
        conditions.append(by_school)
    return any_of(conditions)


def finals_only(access: Access) -> Q | None:
    """Assessments whose final ratings the user reads (beyond those they read whole)."""
    conditions = []
    if access.has_role(*DISTRICT_LEADERS):
        conditions.append(Q(school__isnull=False))
    if access.has_role(R.BOARD_MEMBER):
        conditions.append(Q(school__isnull=True, status="final"))
    return any_of(conditions)


def _ids(condition: Q | None):
    from districtpm.rubrics.models import Assessment

    return Assessment.objects.filter(condition).values("id") if condition is not None else None


@scope_rule("rubrics.Framework")
@scope_rule("rubrics.FrameworkVersion")
def frameworks(access: Access) -> Q | None:
    return Q() if access.can("rubrics.view") else None


@scope_rule("rubrics.Framework", "change")
@scope_rule("rubrics.FrameworkVersion", "change")
def managed_frameworks(access: Access) -> Q | None:
    return Q() if access.can("rubrics.manage") else None


@scope_rule("rubrics.Assessment")
def assessments(access: Access) -> Q | None:
    condition = any_of([c for c in (whole(access), finals_only(access)) if c is not None])
    return None if condition is None else Q(id__in=_ids(condition))


@scope_rule("rubrics.Assessment", "change")
def administered(access: Access) -> Q | None:
    """Dates, team, revealing, finalising, reopening: the facilitator; the PM office and the
    admin for any assessment; a principal for their school's."""
    if not access.can("rubrics.view"):
        return None
    if access.can("rubrics.manage"):
        return Q()
    conditions = [Q(facilitator_id=access.user_id)]
    school_ids = access.schools_for(R.PRINCIPAL) if access.can("rubrics.assess") else frozenset()
    if school_ids:
        conditions.append(Q(school_id__in=school_ids))
    return any_of(conditions)


@scope_rule("rubrics.Member")
def members(access: Access) -> Q | None:
    ids = _ids(whole(access))
    return None if ids is None else Q(assessment_id__in=ids)


follows("rubrics.Member", parent="assessment", actions=("change", "delete"))


@scope_rule("rubrics.Member", "submit")
def own_open_membership(access: Access) -> Q | None:
    return Q(user_id=access.user_id, submitted_at__isnull=True, assessment__status="open")


def team_work(access: Access):
    """Assessments whose team work (every member's ratings, the final ratings so far) the user
    sees: those they read whole and are not rating in; those they rate in once they have
    submitted, the facilitator revealed the ratings, or the assessment is final. A subquery of
    Assessment ids, or None."""
    full = whole(access)
    if full is None:
        return None
    from districtpm.rubrics.models import Assessment, Member

    mine = Member.objects.filter(user_id=access.user_id)
    rating_in = Assessment.objects.filter(members__user_id=access.user_id).values("id")
    return Assessment.objects.filter(
        Q(id__in=mine.filter(submitted_at__isnull=False).values("assessment_id"))
        | Q(id__in=rating_in, revealed=True)
        | Q(id__in=rating_in, status="final")
        | Q(id__in=Assessment.objects.filter(full).exclude(id__in=rating_in).values("id"))
    ).values("id")


@scope_rule("rubrics.Rating")
def ratings(access: Access) -> Q | None:
    """A member's own ratings, and everyone's of the assessments whose team work they see."""
    shown = team_work(access)
    if shown is None:
        return None
    return Q(member__user_id=access.user_id) | Q(member__assessment_id__in=shown)


def own_draft(access: Access) -> Q | None:
    """A member changes their own ratings until they submit, while the assessment is open."""
    return Q(user_id=access.user_id, submitted_at__isnull=True, assessment__status="open")


follows("rubrics.Rating", parent="member", actions=("change", "delete"), via=own_draft)


@scope_rule("rubrics.FinalRating")
def finals(access: Access) -> Q | None:
    """The final ratings so far where the user sees the team's work (a member who has not
    submitted sees none), and the final ones of assessments read in final ratings only."""
    shown, final = team_work(access), _ids(finals_only(access))
    conditions = []
    if shown is not None:
        conditions.append(Q(assessment_id__in=shown))
    if final is not None:
        conditions.append(Q(assessment_id__in=final, assessment__status="final"))
    return any_of(conditions)


def deciding(access: Access) -> Q | None:
    """Final ratings are recorded by the facilitator while the assessment is open."""
    if not access.can("rubrics.view"):
        return None
    return Q(facilitator_id=access.user_id, status="open")


follows("rubrics.FinalRating", parent="assessment", actions=("change", "delete"), via=deciding)


@scope_rule("rubrics.WorkLink")
def links(access: Access) -> Q | None:
    condition = finals(access)
    if condition is None:
        return None
    from districtpm.rubrics.models import FinalRating

    return Q(final_id__in=FinalRating.objects.filter(condition).values("id"))


def linking(access: Access) -> Q | None:
    """Who ties a weak indicator to work: whoever administers its assessment (a filter on
    FinalRating)."""
    condition = administered(access)
    if condition is None:
        return None
    if not condition:
        return Q()
    from districtpm.rubrics.models import Assessment

    return Q(assessment_id__in=Assessment.objects.filter(condition).values("id"))


follows("rubrics.WorkLink", parent="final", actions=("change", "delete"), via=linking)


def opening_schools(access: Access) -> Q | None:
    """The schools (a filter on School) whose self-assessment a user may open."""
    if access.can("rubrics.manage"):
        return Q()
    school_ids = access.schools_for(R.PRINCIPAL) if access.can("rubrics.assess") else frozenset()
    return Q(id__in=school_ids) if school_ids else None


def results_schools(access: Access) -> Q | None:
    """The schools (a filter on School) whose final ratings appear in a user's heatmap."""
    if not access.can("rubrics.results"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    conditions = []
    school_ids = access.schools_for(R.PRINCIPAL)
    if school_ids:
        conditions.append(Q(id__in=school_ids))
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        conditions.append(Q(network_id__in=access.network_ids))
    return any_of(conditions)
