"""The capabilities of DESIGN.md not built yet, which the web shell shows as placeholders.

Each built app registers its own navigation entry (`core.navigation.register_capability`) in
its `apps.py` `ready()`; the shell registers these until their apps arrive and replace
them under the same slug.
"""

from __future__ import annotations

from districtpm.core.navigation import Capability, capabilities, register_capability

__all__ = ["PLACEHOLDERS", "Capability", "capabilities", "register_placeholders"]

# Every capability of DESIGN.md has its app now; a new one not built yet is listed here.
PLACEHOLDERS: dict[str, Capability] = {}


def register_placeholders() -> None:
    """Register the placeholder of each capability whose app has not registered its own."""
    built = {c.slug for c in capabilities()}
    for c in PLACEHOLDERS.values():
        if c.slug not in built:
            register_capability(
                c.slug,
                c.title,
                permission=c.permission,
                url_name=c.url_name,
                summary=c.summary,
                order=c.order,
                built=False,
            )
