"""The navigation by registration: each app registers its capability when it loads.

Lives in the core so that any app, whatever its layer, may register itself; the web shell only
reads the registry (`capabilities()`) to draw the navigation and the home page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    """One entry of the navigation: a capability of DESIGN.md and the page it opens on."""

    slug: str
    title: str
    permission: str
    url_name: str
    summary: str
    built: bool = False
    order: int = 1000  # place in the navigation, lowest first; ties keep registration order

    @property
    def section(self) -> str:
        """The URL namespace whose pages belong to this capability, for the navigation."""
        namespace = self.url_name.split(":")[0]
        return self.slug if namespace == "web" else namespace


_REGISTRY: dict[str, Capability] = {}


def register_capability(
    slug: str,
    title: str,
    *,
    permission: str,
    url_name: str,
    summary: str,
    order: int = 1000,
    built: bool = True,
) -> Capability:
    """Add (or replace) the navigation entry `slug`; an app calls this from its ready().

    A built app's entry replaces the placeholder the web shell registered under the same slug.
    """
    capability = Capability(slug, title, permission, url_name, summary, built, order)
    _REGISTRY[slug] = capability
    return capability


def unregister_capability(slug: str) -> None:
    """Remove an entry (for tests that register a capability of their own)."""
    _REGISTRY.pop(slug, None)


def capabilities() -> list[Capability]:
    """Every registered capability in navigation order."""
    ordered = sorted(enumerate(_REGISTRY.values()), key=lambda pair: (pair[1].order, pair[0]))
    return [capability for _, capability in ordered]


def capability(slug: str) -> Capability:
    """The registered capability `slug` (KeyError when no app registered it)."""
    return _REGISTRY[slug]
