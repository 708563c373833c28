"""Who reads and who draws process maps. Everyone who reads the plan's initiatives reads their
maps; the board reads published versions only. The PM office and senior leaders (and the
district admin) draw and change every map; a member of a division — a user whose staff record
is in that division — changes the steps of their own division's lane, in versions not yet
published."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, scope_rule

PERMISSIONS = {
    "processmaps.view": DISTRICT_LEADERS
    | ACTION_TEAMS
    | {R.NETWORK_SUPERVISOR, R.PRINCIPAL, R.BOARD_MEMBER},
    "processmaps.change": DISTRICT_LEADERS,
}
register_permissions(PERMISSIONS)


def _board_only(access: Access) -> bool:
    """The board's members read published versions only (unless they also hold another role
    that reads the maps)."""
    others = PERMISSIONS["processmaps.view"] - {R.BOARD_MEMBER}
    return R.BOARD_MEMBER in access.roles and not (access.roles & others)


@scope_rule("processmaps.ProcessMap")
def maps_read(access: Access) -> Q | None:
    if not access.can("processmaps.view"):
        return None
    if _board_only(access) and not access.is_superuser:
        from districtpm.processmaps.models import Version

        return Q(Exists(Version.objects.filter(process_map=OuterRef("pk"), published=True)))
    return Q()


@scope_rule("processmaps.Version")
def versions_read(access: Access) -> Q | None:
    if not access.can("processmaps.view"):
        return None
    if _board_only(access) and not access.is_superuser:
        return Q(published=True)
    return Q()


def _drawers(access: Access) -> Q | None:
    return Q() if access.can("processmaps.change") else None


for _label in ("processmaps.ProcessMap", "processmaps.Version"):
    scope_rule(_label, "change")(_drawers)
    scope_rule(_label, "delete")(_drawers)


def _own_lane(access: Access) -> Q | None:
    """The steps of the lane of the user's own division, in versions not yet published."""
    from districtpm.org.models import Staff

    if not access.user_id or not access.can("processmaps.view"):
        return None
    mine = Staff.objects.filter(user_id=access.user_id, division_id=OuterRef("lane_id"))
    return Q(Exists(mine)) & Q(version__published=False)


def _step_rule(action: str):  # noqa: ANN202
    def rule(access: Access) -> Q | None:
        if action == "view":
            condition = versions_read(access)
            return None if condition is None else Q(version__in=_versions(condition))
        if access.can("processmaps.change"):
            return Q()
        return _own_lane(access)

    return rule


def _versions(condition: Q):  # noqa: ANN202
    from districtpm.processmaps.models import Version

    return Version.objects.filter(condition).values("pk")


for _action in ("view", "change", "delete"):
    scope_rule("processmaps.Step", _action)(_step_rule(_action))


def _flow_rule(action: str):  # noqa: ANN202
    """Flows read as their version; a division member draws the flows out of their lane's
    steps."""

    def rule(access: Access) -> Q | None:
        if action == "view":
            condition = versions_read(access)
            return None if condition is None else Q(version__in=_versions(condition))
        if access.can("processmaps.change"):
            return Q()
        from districtpm.org.models import Staff

        if not access.user_id or not access.can("processmaps.view"):
            return None
        mine = Staff.objects.filter(user_id=access.user_id, division_id=OuterRef("source__lane_id"))
        return Q(Exists(mine)) & Q(version__published=False)

    return rule


for _action in ("view", "change", "delete"):
    scope_rule("processmaps.Flow", _action)(_flow_rule(_action))
