"""Who reads and sets the evaluation framework. The framework (components, weights, cut points)
is not personnel data: everyone who works with evaluations reads it ("evaluation.view", which
the web shell registers while the evaluation pages are its placeholder); the district admin and
HR partners set it."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import Role as R
from districtpm.core.roles import register_permissions
from districtpm.core.scoping import Access, follows, scope_rule

register_permissions({"evaluation.framework": {R.DISTRICT_ADMIN, R.HR_PARTNER}})


@scope_rule("evaluation.Framework")
def frameworks(access: Access) -> Q | None:
    return Q() if access.can("evaluation.view") else None


@scope_rule("evaluation.Framework", "change")
@scope_rule("evaluation.Framework", "delete")
def frameworks_set(access: Access) -> Q | None:
    return Q() if access.can("evaluation.framework") else None


for _child, _parent in [
    ("Component", "framework"),
    ("WeightSet", "framework"),
    ("OverallLevel", "framework"),
    ("Indicator", "component"),
    ("Weight", "weight_set"),
]:
    follows(f"evaluation.{_child}", parent=_parent)
