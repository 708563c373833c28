"""The audit log's permission."""

from __future__ import annotations

from districtpm.core.roles import Role as R
from districtpm.core.roles import register_permissions

PERMISSIONS = {"audit.view": {R.DISTRICT_ADMIN, R.PM_OFFICE}}
register_permissions(PERMISSIONS)
