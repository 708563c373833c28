"""The permissions of the capabilities still to be built, whose placeholder pages the shell
shows; each is shown to the roles that will use it. Each moves to its app when the app is built."""

from __future__ import annotations

from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS, register_permissions
from districtpm.core.roles import Role as R

PERMISSIONS = {
    "processmaps.view": DISTRICT_LEADERS | ACTION_TEAMS | {R.NETWORK_SUPERVISOR},
}
register_permissions(PERMISSIONS)
