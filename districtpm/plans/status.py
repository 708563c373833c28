"""Goal status against the target trajectory: pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_RECENT_DATA = "no_recent_data"
LABELS = {
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    OFF_TRACK: "Off track",
    NO_RECENT_DATA: "No recent data",
}


def start_year(school_year: str) -> int:
    return int(school_year[:4])


def trajectory(
    baseline_year: str, baseline_value: float, targets: dict[str, float], school_year: str
) -> float | None:
    """The target for a school year: a stated target, or the straight line between the
    baseline and the stated targets on either side of it. None before the baseline or after
    the last target."""
    points = sorted(
        [(start_year(baseline_year), baseline_value)]
        + [(start_year(y), v) for y, v in targets.items()]
    )
    year = start_year(school_year)
    for (y0, v0), (y1, v1) in zip(points, points[1:], strict=False):
        if y0 <= year <= y1:
            return v0 if y1 == y0 else v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return points[0][1] if len(points) == 1 and year == points[0][0] else None


@dataclass(frozen=True)
class Status:
    code: str
    actual: float | None
    target: float | None
    period: str

    @property
    def label(self) -> str:
        return LABELS[self.code]


def goal_status(
    *,
    direction: str,
    tolerance: float,
    expected_period: str,
    actual: float | None,
    target: float | None,
) -> Status:
    """On track when at or beyond the trajectory (in the better direction), at risk when short
    by no more than the tolerance, off track beyond it. No value for the latest period the data
    should cover means no recent data, whatever anyone reported."""
    if actual is None:
        return Status(NO_RECENT_DATA, None, target, expected_period)
    if target is None:
        return Status(ON_TRACK, actual, None, expected_period)
    ahead = (actual - target) if direction == "higher" else (target - actual)
    if ahead >= 0:
        code = ON_TRACK
    elif ahead >= -tolerance:
        code = AT_RISK
    else:
        code = OFF_TRACK
    return Status(code, actual, target, expected_period)
