"""Who sees and changes designations' steps. District leaders see every designated school;
a network supervisor their network's, a principal or ILT member their school's. The PM office
and the district admin set the steps each designation requires; a school's principal (or the
PM office) records that a step is done."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import DISTRICT_LEADERS, SCHOOL_ROLES, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule
from districtpm.org.rules import assigned_schools

MANAGERS = {R.DISTRICT_ADMIN, R.PM_OFFICE}
register_permissions(
    {
        "improvement.view": DISTRICT_LEADERS | SCHOOL_ROLES,
        "improvement.rules": MANAGERS,
    }
)


def designated_schools(access: Access) -> Q | None:
    """The schools (a filter on School) whose designations and steps a user sees."""
    if not access.can("improvement.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return assigned_schools(access)


def _on_designations(condition: Q | None) -> Q | None:
    if condition is None:
        return None
    if not condition:
        return Q()
    from districtpm.org.models import School

    return Q(designation__school__in=School.objects.filter(condition).values("id"))


@scope_rule("improvement.StepRule")
def step_rules(access: Access) -> Q | None:
    return Q() if access.can("improvement.view") else None


@scope_rule("improvement.StepRule", "change")
@scope_rule("improvement.StepRule", "delete")
def managed_rules(access: Access) -> Q | None:
    return Q() if access.can("improvement.rules") else None


@scope_rule("improvement.StepDone")
@scope_rule("improvement.StepReminder")
def steps_seen(access: Access) -> Q | None:
    return _on_designations(designated_schools(access))


def completing(access: Access) -> Q | None:
    """The designations (a filter on Designation) whose steps a user records as done: a
    principal's school's; every one for the PM office and the admin."""
    if access.can("improvement.rules"):
        return Q()
    school_ids = access.schools_for(R.PRINCIPAL)
    return Q(school_id__in=school_ids) if school_ids else None


follows("improvement.StepDone", parent="designation", actions=("change", "delete"), via=completing)


@scope_rule("improvement.ProblemStatement")
def problem_statements(access: Access) -> Q | None:
    """A school's statements: its team, its supervisor, district leaders."""
    schools = designated_schools(access)
    if schools is None:
        return None
    if not schools:
        return Q()
    from districtpm.org.models import School

    return Q(school__in=School.objects.filter(schools).values("id"))


def writing_schools(access: Access) -> Q | None:
    """The schools (a filter on School) whose problem statements a user writes: the school's
    leadership team (its principal and ILT members)."""
    if not access.can("improvement.view"):
        return None
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    return Q(id__in=school_ids) if school_ids else None


follows(
    "improvement.ProblemStatement",
    parent="school",
    actions=("change", "delete"),
    via=writing_schools,
)


# A problem's causes are seen with it and changed by whoever writes the school's statements.
follows("improvement.RootCause", parent="problem", actions=("view",))


def writing_problems(access: Access) -> Q | None:
    schools = writing_schools(access)
    if schools is None:
        return None
    from districtpm.org.models import School

    return Q(school__in=School.objects.filter(schools).values("id"))


follows(
    "improvement.RootCause", parent="problem", actions=("change", "delete"), via=writing_problems
)


# A school's high-leverage actions are seen like its problem statements.
scope_rule("improvement.HighLeverageAction")(problem_statements)


follows(
    "improvement.HighLeverageAction",
    parent="school",
    actions=("change", "delete"),
    via=writing_schools,
)


# A school's plan and its Blueprint are seen like its problem statements and changed by whoever
# writes them; everything in a plan goes with it.
scope_rule("improvement.SchoolPlan")(problem_statements)
follows(
    "improvement.SchoolPlan", parent="school", actions=("change", "delete"), via=writing_schools
)
for _child, _parent in [
    ("FocusArea", "plan"),
    ("SchoolInitiative", "area"),
    ("SchoolPlanStep", "initiative"),
    ("InitiativeMeasure", "initiative"),
    ("Checkpoint", "plan"),
    ("Blueprint", "plan"),
    ("BlueprintMeasure", "blueprint"),
]:
    follows(f"improvement.{_child}", parent=_parent)


def publishing_schools(access: Access) -> frozenset[int]:
    """The schools whose Blueprint a user publishes: their principal's."""
    return access.schools_for(R.PRINCIPAL) if access.can("improvement.view") else frozenset()


# Whoever sees a plan comments on it (its supervisor, district leaders, its team); a comment is
# changed or removed by its author only.
follows("improvement.PlanComment", parent="plan", actions=("view",))
follows("improvement.PlanComment", parent="plan", actions=("create",), via=problem_statements)


@scope_rule("improvement.PlanComment", "change")
@scope_rule("improvement.PlanComment", "delete")
def own_comments(access: Access) -> Q | None:
    return Q(author_id=access.user_id) if access.user_id else None
