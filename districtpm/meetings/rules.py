"""Who sees which meetings of a cycle."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule
from districtpm.org.rules import any_of

PERMISSIONS = {
    "meetings.view": DISTRICT_LEADERS | ACTION_TEAMS | {R.BOARD_MEMBER},
    "meetings.change": DISTRICT_LEADERS,
    "meetings.record": DISTRICT_LEADERS | {R.ACTION_TEAM_LEAD},
}
register_permissions(PERMISSIONS)


def _team_priorities(access: Access) -> Q:
    """Priorities whose action team the user is on (as a member or its lead)."""
    from districtpm.actionplans.models import ActionTeam
    from districtpm.actionplans.rules import joined_by, led_by

    teams = ActionTeam.objects.filter(joined_by(access) | led_by(access))
    return Q(priority_id__in=teams.values("priority_id"))


@scope_rule("meetings.Cycle")
def cycles(access: Access) -> Q | None:
    return Q() if access.can("meetings.view") else None


@scope_rule("meetings.Meeting")
def meetings(access: Access) -> Q | None:
    """Leaders see every meeting; the Board its study sessions; action teams the Engage
    meetings and their own priority's meetings."""
    if not access.can("meetings.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    conditions = []
    if access.has_role(R.BOARD_MEMBER):
        conditions.append(Q(rule__kind="empower"))
    if access.has_role(R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER):
        conditions += [Q(rule__kind="engage"), _team_priorities(access)]
    return any_of(conditions)


@scope_rule("meetings.Cycle", "change")
def cycle_planners(access: Access) -> Q | None:
    """The cycle's settings, planning and its meetings' state, attendees and dates."""
    return Q() if access.can("meetings.change") else None


@scope_rule("meetings.Meeting", "change")
def meeting_changers(access: Access) -> Q | None:
    return meetings(access) if access.can("meetings.change") else None


def meeting_recorders(access: Access) -> Q | None:
    """Meetings in whose record the user writes: leaders, and action team leads in the meetings
    they see."""
    return meetings(access) if access.can("meetings.record") else None


@scope_rule("meetings.FeedToken", "change")
def own_feed_token(access: Access) -> Q | None:
    """Everyone who reads meetings keeps their own secret calendar address."""
    return Q(user_id=access.user_id) if access.can("meetings.view") else None


follows("meetings.MeetingRule", parent="cycle")
follows("meetings.FocusMonth", parent="cycle")
follows("meetings.MeetingItem", parent="meeting", actions=("view",))
follows(
    "meetings.MeetingItem", parent="meeting", actions=("change", "delete"), via=meeting_recorders
)


# A reminder is seen with its team.
follows("meetings.Reminder", parent="team", actions=("view",))
