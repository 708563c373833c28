"""A school's two to four high-leverage actions, chosen before the workshop."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.improvement import actions
from districtpm.improvement.models import HighLeverageAction
from districtpm.rubrics.models import FinalRating


def test_the_team_chooses_up_to_four_from_its_self_assessment(world, final_self_assessment, login):
    u = world.users
    rating = FinalRating.objects.filter(assessment=final_self_assessment).first()
    client = login(u["evaluator_a"])
    url = reverse("improvement:prepare", args=[world.school_a.pk]) + f"?year={world.year.name}"
    client.post(
        url, {"text": "Screen every student three times a year", "indicator_rating": rating.pk}
    )
    for n in range(3):
        actions.add_high_leverage_action(
            world.school_a, world.year, f"Action {n}", acting_user=u["principal_a"]
        )
    with pytest.raises(ValidationError, match="four"):
        actions.add_high_leverage_action(
            world.school_a, world.year, "Fifth", acting_user=u["principal_a"]
        )
    page = login(u["network_1"]).get(url).content.decode()
    assert "Screen every student" in page and f"rated {rating.level.name}" in page
    assert 'name="remove"' not in page  # the supervisor reads
    with pytest.raises(PermissionDenied):
        actions.add_high_leverage_action(
            world.school_a, world.year, "x", acting_user=u["principal_b"]
        )
    assert login(u["principal_b"]).get(url).status_code == 404
    first = HighLeverageAction.objects.order_by("pk").first()
    response = login(u["evaluator_a"]).post(url, {"remove": first.pk})
    assert response.status_code == 302, response.content[:300]
    assert HighLeverageAction.objects.count() == 3
