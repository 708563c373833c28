"""Goal status against the trajectory: direction-aware, with a tolerance; missing data wins."""

from __future__ import annotations

import pytest

from districtpm.plans.status import goal_status, trajectory

TARGETS = {"2026-2027": 0.46, "2028-2029": 0.50}


def test_trajectory_runs_straight_between_baseline_and_targets():
    assert trajectory("2024-2025", 0.40, TARGETS, "2024-2025") == pytest.approx(0.40)
    assert trajectory("2024-2025", 0.40, TARGETS, "2025-2026") == pytest.approx(0.43)
    assert trajectory("2024-2025", 0.40, TARGETS, "2026-2027") == pytest.approx(0.46)
    assert trajectory("2024-2025", 0.40, TARGETS, "2027-2028") == pytest.approx(0.48)
    assert trajectory("2024-2025", 0.40, TARGETS, "2029-2030") is None
    assert trajectory("2024-2025", 0.40, TARGETS, "2023-2024") is None


@pytest.mark.parametrize(
    ("direction", "actual", "expected"),
    [
        ("higher", 0.44, "on_track"),
        ("higher", 0.425, "at_risk"),
        ("higher", 0.40, "off_track"),
        ("lower", 0.42, "on_track"),
        ("lower", 0.445, "at_risk"),
        ("lower", 0.47, "off_track"),
    ],
)
def test_status_depends_on_direction_and_tolerance(direction, actual, expected):
    s = goal_status(
        direction=direction, tolerance=0.02, expected_period="2025-2026", actual=actual, target=0.43
    )
    assert s.code == expected


def test_missing_value_is_no_recent_data():
    s = goal_status(
        direction="higher", tolerance=0.02, expected_period="2025-2026", actual=None, target=0.43
    )
    assert s.code == "no_recent_data" and s.label == "No recent data"
