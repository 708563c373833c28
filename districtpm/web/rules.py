"""The permissions of capabilities still to be built, whose placeholder pages the shell would
show (none now: every capability of DESIGN.md has its app); each moves to its app when built."""

from __future__ import annotations

from districtpm.core.roles import register_permissions

PERMISSIONS: dict[str, frozenset[str]] = {}
register_permissions(PERMISSIONS)
