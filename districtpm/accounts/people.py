"""People as people: a user shown by name, position and school, and the pickers that offer only
those who may hold a role on a given thing (the owner of a commitment must be able to see its
meeting; the owner of an action must be able to work on its plan).

A picker is a select of those people, sorted by surname, with a search box above it that asks
the server (HTMX) for the matching ones as one types. What the search may return is fixed when
the form is drawn: the box carries a signed token naming the object, the action the people must
be allowed on it and the roles to look among, so a search can never list anyone else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet

from districtpm.core.scoping import allowed

SALT = "districtpm.people"
TOKEN_AGE = 60 * 60 * 12  # a form left open half a day still searches


def person_label(user: Any) -> str:
    """Full name — position, school (or division), as staff records say."""
    name = user.get_full_name() or user.get_username()
    staff = getattr(user, "staff", None) if hasattr(user, "staff") else None
    parts: list[str] = []
    if staff is not None:
        if staff.position:
            parts.append(staff.position.name)
        schools = sorted({a.school.name for a in staff.assignments.all()})
        if schools:
            parts.append(", ".join(schools[:2]))
        elif staff.division:
            parts.append(staff.division.name)
    return f"{name} — {', '.join(parts)}" if parts else name


def _people() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("staff__position", "staff__division")
        .prefetch_related("staff__assignments__school")
        .order_by("last_name", "first_name", "username")
    )


def candidates(obj: Any, action: str, roles: Iterable[str], keep: Any = None) -> QuerySet:
    """Active users holding one of `roles` who may `action` the object, sorted by surname
    (`keep`: a user already chosen, kept among them)."""
    users = _people().filter(role_assignments__role__in=list(roles)).distinct()
    ids = [u.pk for u in users if allowed(u, obj, action)]
    if keep is not None:
        ids.append(keep.pk)
    return _people().filter(pk__in=ids)


def token(obj: Any, action: str, roles: Iterable[str]) -> str:
    return signing.dumps(
        {"model": obj._meta.label_lower, "pk": obj.pk, "action": action, "roles": sorted(roles)},
        salt=SALT,
    )


def search(user: Any, signed: str, query: str, limit: int = 50) -> list[Any]:
    """The people a picker's token allows whose name, position or school contains the query;
    nothing for a bad or old token, or for a user who may not see the object (who may see
    it learns no more than who else may: names and positions, as the staff pages show)."""
    try:
        data = signing.loads(signed, salt=SALT, max_age=TOKEN_AGE)
        obj = apps.get_model(data["model"]).objects.get(pk=data["pk"])
    except (signing.BadSignature, LookupError, KeyError, ValueError, TypeError):
        return []
    except ObjectDoesNotExist:  # gone since the form was drawn: nobody to offer
        return []
    if not allowed(user, obj, "view"):
        return []
    found = candidates(obj, data["action"], data["roles"])
    for word in query.split()[:4]:
        found = found.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(staff__position__name__icontains=word)
            | Q(staff__assignments__school__name__icontains=word)
        ).distinct()
    return list(found[:limit])


class PersonSelect(forms.Select):
    """A select of people with a search box that narrows it from the server."""

    template_name = "accounts/person_select.html"

    def __init__(self, *args: Any, token: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["token"] = self.token
        return context


class PersonField(forms.ModelChoiceField):
    """A person, offered by name, position and school among those who may hold the role."""

    def __init__(self, obj: Any, action: str, roles: Iterable[str], keep: Any = None, **kwargs):
        roles = list(roles)
        kwargs.setdefault("widget", PersonSelect(token=token(obj, action, roles)))
        super().__init__(candidates(obj, action, roles, keep), **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)
