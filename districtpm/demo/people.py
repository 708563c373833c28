"""One person per role, the same in the demo district and in every test's `world`.

A school-scoped role comes twice, on side "a" and side "b" (two schools in different networks),
so a test or a demo visitor can see one side's data and not the other's. School roles sign in as
a staff member of their school (its principal, a coach as evaluator, a teacher).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from districtpm.accounts.models import RoleAssignment
from districtpm.core.roles import Role
from districtpm.org.models import Network, School, Staff


@dataclass(frozen=True)
class Person:
    key: str  # how tests name them: world.users["principal_a"]
    username: str  # how they sign in
    role: str
    first: str = ""  # a staff member's own name is used when they have a staff record
    last: str = ""
    side: str = ""  # "a" or "b": their school, or for a supervisor their school's network
    position: str = ""  # the position of the staff record at their school that is theirs


PEOPLE: tuple[Person, ...] = (
    Person("admin", "admin", Role.DISTRICT_ADMIN, "Dana", "Okafor"),
    Person("pm", "pm.office", Role.PM_OFFICE, "Priya", "Raman"),
    Person("slt", "senior.leader", Role.SENIOR_LEADER, "Marcus", "Bell"),
    # The Whole Child team's lead and member: whoever builds the team puts them on it.
    Person("team_lead", "team.lead", Role.ACTION_TEAM_LEAD, "Elena", "Vasquez"),
    Person("team_member", "team.member", Role.ACTION_TEAM_MEMBER, "Tom", "Nakamura"),
    Person("network_1", "network.a", Role.NETWORK_SUPERVISOR, "Alicia", "Moreno", side="a"),
    Person("network_2", "network.b", Role.NETWORK_SUPERVISOR, "Samuel", "Ortiz", side="b"),
    Person("principal_a", "principal.a", Role.PRINCIPAL, side="a", position="principal"),
    Person("principal_b", "principal.b", Role.PRINCIPAL, side="b", position="principal"),
    Person("evaluator_a", "evaluator.a", Role.EVALUATOR, side="a", position="coach"),
    Person("evaluator_b", "evaluator.b", Role.EVALUATOR, side="b", position="coach"),
    Person("teacher_a", "teacher.a", Role.TEACHER, side="a", position="teacher"),
    Person("teacher_b", "teacher.b", Role.TEACHER, side="b", position="teacher"),
    Person("hr", "hr.partner", Role.HR_PARTNER, "Grace", "Mensah"),
    Person("board", "board.member", Role.BOARD_MEMBER, "Robert", "Lindqvist"),
)
TEAM = "Whole Child"


def two_sides(schools: Iterable[School]) -> dict[str, School]:
    """The first school, and the first one in another network."""
    schools = list(schools)
    a = schools[0]
    return {"a": a, "b": next(s for s in schools if s.network_id != a.network_id)}


def unlinked_staff(school: School, position: str) -> Staff:
    """The school's first staff member in a position who has no login yet."""
    return (
        Staff.objects.filter(assignments__school=school, position__code=position, user__isnull=True)
        .order_by("pk")
        .first()
    )


def create_people(
    sides: Mapping[str, School],
    *,
    password: str,
    email_domain: str | None = None,
    superusers: Iterable[str] = (),
) -> dict[str, User]:
    """Create everyone in PEOPLE, keyed by `Person.key`. `sides` gives the school of side a and
    side b; `superusers` the keys who also get the site's admin pages."""
    password_hash = make_password(password)  # hashed once: the hash is deliberately slow
    superusers = set(superusers)
    users: dict[str, User] = {}
    for person in PEOPLE:
        school = sides[person.side] if person.side else None
        staff = unlinked_staff(school, person.position) if person.position else None
        user = User.objects.create(
            username=person.username,
            password=password_hash,
            first_name=staff.first_name if staff else person.first,
            last_name=staff.last_name if staff else person.last,
            email=f"{person.username}@{email_domain}" if email_domain else "",
            is_staff=person.key in superusers,
            is_superuser=person.key in superusers,
        )
        network: Network | None = None
        if person.role == Role.NETWORK_SUPERVISOR:
            network, school = school.network, None
        RoleAssignment.objects.create(user=user, role=person.role, school=school, network=network)
        if staff is not None:
            staff.user = user
            staff.save(update_fields=["user"])
        users[person.key] = user
    return users


def scope_of(person: Person, user: User) -> str:
    """Where the person's role reaches, as the list of demo logins says it."""
    assignment = user.role_assignments.select_related("school", "network").first()
    if assignment.school:
        return assignment.school.name
    if assignment.network:
        return assignment.network.name
    return TEAM if person.role in (Role.ACTION_TEAM_LEAD, Role.ACTION_TEAM_MEMBER) else "District"
