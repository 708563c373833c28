"""Synthetic student-level data for the demo district, written to the analytics store.

Realistic enough that charts and forecasts mean something: schools differ (a school effect and
its own trend), groups differ (opportunity gaps by income, language, disability and race), the
district improves slowly year on year, and three interim windows a year predict the state test
(they measure the same latent achievement with more noise, earlier in the year).
Deterministic: the same schools, years and seed give the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from districtpm.analytics.schema import GRADES, RACES

RACE_EFFECT = {
    "American Indian": -0.35,
    "Asian": 0.2,
    "Black": -0.35,
    "Hispanic": -0.3,
    "Multiracial": 0.0,
    "Pacific Islander": -0.2,
    "White": 0.25,
}
BASE_RACE_MIX = np.array([0.01, 0.04, 0.13, 0.50, 0.04, 0.01, 0.27])
MONTHS = [
    (8, 8),
    (9, 20),
    (10, 21),
    (11, 16),
    (12, 14),
    (1, 18),
    (2, 19),
    (3, 16),
    (4, 21),
    (5, 16),
]
WINDOW_PROGRESS = {"fall": -0.25, "winter": -0.1, "spring": 0.0}


@dataclass(frozen=True)
class SchoolSpec:
    code: str
    lowest_grade: str
    highest_grade: str
    enrollment: int


# When each kind of data exists within a school year, as (month, day) after the year's start.
WINDOW_DATES = {"fall": (9, 20), "winter": (1, 20), "spring": (4, 20), "annual": (6, 15)}
SURVEY_DATE = (10, 31)
YEAR_END = (6, 30)


def _happened(school_year: str, month_day: tuple[int, int], as_of: dt.date | None) -> bool:
    """Whether a dated event of this school year has happened by `as_of` (None: all have)."""
    if as_of is None:
        return True
    month, day = month_day
    year = int(school_year[:4]) + (month < 8)
    return dt.date(year, month, day) <= as_of


@dataclass(frozen=True)
class _SchoolTraits:
    """What each school adds to its students' data, one array entry per school."""

    effect: np.ndarray
    trend: np.ndarray
    growth: np.ndarray
    climate: np.ndarray
    attend: np.ndarray
    econ_rate: np.ndarray
    ell_rate: np.ndarray


def generate(
    schools: list[SchoolSpec], years: list[str], seed: int = 2026, as_of: dt.date | None = None
) -> dict[str, pd.DataFrame]:
    """All fact tables of the canonical schema for these schools and school years.

    With `as_of`, only what would exist by that date is produced: a current year has its fall
    interim and the months of attendance so far, but no state test or graduation yet.
    """
    rng = np.random.default_rng(seed)
    starts = [int(y[:4]) for y in years]
    traits = _draw_school_traits(rng, len(schools))
    students = _draw_students(rng, schools, starts, traits)
    sy = _draw_student_years(rng, students, schools, years, traits.trend)
    # Each table draws from the same generator, so the order of these calls fixes the data.
    tables = {
        "student_years": _student_years_table(sy),
        "enrollments": _enrollments(sy),
        "assessments": _draw_assessments(rng, sy, traits.growth),
        "attendance": _draw_attendance(rng, sy, traits.attend),
        "discipline": _draw_discipline(rng, sy),
        "credits": _draw_credits(rng, sy),
        "graduation_cohorts": _draw_graduation_cohorts(rng, sy),
        "survey_responses": _draw_survey_responses(rng, sy, traits.climate),
    }
    return _as_of(tables, years, as_of)


def _draw_school_traits(rng: np.random.Generator, n_schools: int) -> _SchoolTraits:
    effect = rng.normal(0, 0.35, n_schools)
    trend = rng.normal(0.04, 0.04, n_schools)
    growth = rng.normal(0, 1, n_schools)
    climate = rng.normal(0, 1, n_schools)
    attend = rng.normal(0, 0.012, n_schools)
    econ_rate = np.clip(0.55 - 0.45 * effect + rng.normal(0, 0.12, n_schools), 0.05, 0.95)
    ell_rate = np.clip(0.25 - 0.2 * effect + rng.normal(0, 0.08, n_schools), 0.01, 0.7)
    return _SchoolTraits(effect, trend, growth, climate, attend, econ_rate, ell_rate)


def _draw_cohort_blocks(
    rng: np.random.Generator, schools: list[SchoolSpec], starts: list[int]
) -> list[tuple[int, int, int, int, int]]:
    """(school, cohort, size, lowest grade, highest grade) for each school and cohort.

    A cohort is named by the year its students were in PK.
    """
    blocks = []
    for s, school in enumerate(schools):
        lo, hi = GRADES.index(school.lowest_grade), GRADES.index(school.highest_grade)
        per_grade = max(5, school.enrollment // (hi - lo + 1))
        for cohort in range(starts[0] - hi, starts[-1] - lo + 1):
            size = max(3, int(rng.normal(per_grade, per_grade * 0.08)))
            blocks.append((s, cohort, size, lo, hi))
    return blocks


def _draw_students(
    rng: np.random.Generator,
    schools: list[SchoolSpec],
    starts: list[int],
    traits: _SchoolTraits,
) -> pd.DataFrame:
    """One row per student: school, cohort, groups and latent ability."""
    blocks = _draw_cohort_blocks(rng, schools, starts)
    sizes = np.array([b[2] for b in blocks])
    n = int(sizes.sum())
    school_idx = np.repeat([b[0] for b in blocks], sizes)
    cohort = np.repeat([b[1] for b in blocks], sizes)
    lo = np.repeat([b[3] for b in blocks], sizes)
    hi = np.repeat([b[4] for b in blocks], sizes)
    student_id = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), 7))

    econ = rng.random(n) < traits.econ_rate[school_idx]
    ell = rng.random(n) < traits.ell_rate[school_idx]
    swd = rng.random(n) < 0.13
    mixes = rng.dirichlet(BASE_RACE_MIX * 30, len(schools))
    cum = mixes.cumsum(axis=1)[school_idx]
    race_idx = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(RACES) - 1)
    race = np.array(RACES)[race_idx]
    gender = rng.choice(np.array(["F", "M", "X"]), n, p=[0.49, 0.49, 0.02])
    ability = (
        traits.effect[school_idx]
        - 0.45 * econ
        - 0.5 * ell
        - 0.8 * swd
        + np.vectorize(RACE_EFFECT.get)(race)
        + rng.normal(0, 0.85, n)
    )
    return pd.DataFrame(
        {
            "student_id": student_id,
            "school": school_idx,
            "cohort": cohort,
            "lo": lo,
            "hi": hi,
            "econ_disadv": econ,
            "ell": ell,
            "swd": swd,
            "race": race,
            "gender": gender,
            "ability": ability,
            "attend_base": rng.normal(0, 0.035, n),
            "behaviour": rng.normal(0, 1, n),
        }
    )


def _draw_student_years(
    rng: np.random.Generator,
    students: pd.DataFrame,
    schools: list[SchoolSpec],
    years: list[str],
    trend: np.ndarray,
) -> pd.DataFrame:
    """Each student in each year their school serves their grade, with that year's achievement."""
    n = len(students)
    frames = []
    for y, year in enumerate(years):
        gidx = int(year[:4]) - students["cohort"].to_numpy()
        present = (gidx >= students["lo"].to_numpy()) & (gidx <= students["hi"].to_numpy())
        # A few students leave and a few are missing from a year, as in real data.
        present &= rng.random(n) > 0.03
        part = students[present].copy()
        part["school_year"] = year
        part["year_index"] = y
        part["gidx"] = gidx[present]
        frames.append(part)
    sy = pd.concat(frames, ignore_index=True)
    codes = np.array([sc.code for sc in schools])
    sy["grade"] = np.array(GRADES)[sy["gidx"].to_numpy()]
    sy["school_code"] = codes[sy["school"].to_numpy()]
    # achievement this year: ability, the district's slow improvement, the school's own trend
    sy["achieve"] = (
        sy["ability"]
        + 0.03 * sy["year_index"]
        + trend[sy["school"].to_numpy()] * sy["year_index"]
        + rng.normal(0, 0.25, len(sy))
    )
    return sy


def _student_years_table(sy: pd.DataFrame) -> pd.DataFrame:
    return sy[
        [
            "student_id",
            "school_year",
            "school_code",
            "grade",
            "econ_disadv",
            "ell",
            "swd",
            "race",
            "gender",
        ]
    ].copy()


def _enrollments(sy: pd.DataFrame) -> pd.DataFrame:
    enrollments = pd.DataFrame(
        {
            "student_id": sy["student_id"],
            "school_year": sy["school_year"],
            "school_code": sy["school_code"],
            "entry_date": pd.to_datetime(sy["school_year"].str[:4] + "-08-18").dt.date,
            "exit_date": pd.NaT,
        }
    )
    enrollments["exit_date"] = enrollments["exit_date"].astype("datetime64[ns]").dt.date
    return enrollments


def _draw_assessments(
    rng: np.random.Generator, sy: pd.DataFrame, growth: np.ndarray
) -> pd.DataFrame:
    """State tests in grades 3-8 and 11, and three interim windows in grades 1-10."""
    gi = sy["gidx"].to_numpy()
    state_mask = ((gi >= GRADES.index("3")) & (gi <= GRADES.index("8"))) | (
        gi == GRADES.index("11")
    )
    interim_mask = (gi >= GRADES.index("1")) & (gi <= GRADES.index("10"))
    growth_effect = growth[sy["school"].to_numpy()]
    parts = []
    for subject, shift in (("ela", 0.0), ("math", -0.12)):
        subject_skill = sy["achieve"].to_numpy() + shift + rng.normal(0, 0.2, len(sy))
        parts.append(_draw_state_tests(rng, sy, subject, subject_skill, state_mask, growth_effect))
        parts.extend(_draw_interims(rng, sy, subject, subject_skill, interim_mask))
    assessments = pd.concat(parts, ignore_index=True)
    z = assessments["z"].to_numpy()
    assessments["scale_score"] = np.round(750 + 35 * z)
    assessments["performance_level"] = np.digitize(z, [-1.0, -0.25, 0.75]) + 1
    return assessments.drop(columns="z")


def _draw_state_tests(
    rng: np.random.Generator,
    sy: pd.DataFrame,
    subject: str,
    subject_skill: np.ndarray,
    mask: np.ndarray,
    growth_effect: np.ndarray,
) -> pd.DataFrame:
    """One subject's state test scores (as z) and growth percentiles for the rows in `mask`."""
    base = sy.loc[mask, ["student_id", "school_year", "school_code", "grade"]].copy()
    z = subject_skill[mask] + rng.normal(0, 0.35, mask.sum())
    base["subject"], base["test"], base["test_window"] = subject, "state", "annual"
    base["z"] = z
    base["growth_percentile"] = np.clip(
        np.round(50 + 9 * growth_effect[mask] + rng.normal(0, 26, mask.sum())),
        1,
        99,
    )
    # no growth percentile without a prior year's score
    first = (sy["year_index"].to_numpy()[mask] == 0) | (
        sy["gidx"].to_numpy()[mask] == GRADES.index("3")
    )
    base.loc[first, "growth_percentile"] = np.nan
    return base


def _draw_interims(
    rng: np.random.Generator,
    sy: pd.DataFrame,
    subject: str,
    subject_skill: np.ndarray,
    mask: np.ndarray,
) -> list[pd.DataFrame]:
    """One subject's interim scores (as z) for the rows in `mask`, one frame per window."""
    k = int(mask.sum())
    parts = []
    for window, progress in WINDOW_PROGRESS.items():
        part = sy.loc[mask, ["student_id", "school_year", "school_code", "grade"]].copy()
        part["subject"], part["test"], part["test_window"] = subject, "interim", window
        part["z"] = subject_skill[mask] + progress + rng.normal(0, 0.5, k)
        part["growth_percentile"] = np.nan
        # Some students miss a window.
        parts.append(part[rng.random(k) > 0.06])
    return parts


def _draw_attendance(
    rng: np.random.Generator, sy: pd.DataFrame, attend: np.ndarray
) -> pd.DataFrame:
    """Ten months of attendance, days present drawn from the student's own rate."""
    m = len(sy)
    rate = np.clip(
        0.952
        + sy["attend_base"].to_numpy()
        - 0.02 * sy["econ_disadv"].to_numpy()
        + 0.012 * sy["achieve"].to_numpy()
        + attend[sy["school"].to_numpy()]
        + 0.006 * sy["year_index"].to_numpy()
        - 0.02 * (sy["gidx"].to_numpy() >= GRADES.index("9")),
        0.45,
        0.995,
    )
    month_parts = []
    for month, days in MONTHS:
        year = sy["school_year"].str[:4].astype(int) + (month < 8)
        enrolled = np.where(rng.random(m) < 0.97, days, np.maximum(1, days // 2))
        month_parts.append(
            pd.DataFrame(
                {
                    "student_id": sy["student_id"],
                    "school_year": sy["school_year"],
                    "school_code": sy["school_code"],
                    "grade": sy["grade"],
                    "month": year.astype(str) + f"-{month:02d}",
                    "days_enrolled": enrolled,
                    "days_present": rng.binomial(enrolled, rate),
                }
            )
        )
    return pd.concat(month_parts, ignore_index=True)


def _draw_discipline(rng: np.random.Generator, sy: pd.DataFrame) -> pd.DataFrame:
    lam = (
        0.09
        * np.exp(
            -0.45 * sy["achieve"].to_numpy()
            + 0.35 * sy["swd"].to_numpy()
            + 0.5 * sy["behaviour"].to_numpy()
        )
        * (sy["gidx"].to_numpy() >= GRADES.index("3"))
    )
    counts = rng.poisson(lam)
    rows = np.repeat(np.arange(len(sy)), counts)
    k = len(rows)
    year0 = sy["school_year"].str[:4].astype(int).to_numpy()[rows]
    offsets = rng.integers(0, 270, k)
    dates = pd.to_datetime(year0.astype(str) + "-08-20") + pd.to_timedelta(offsets, unit="D")
    consequence = rng.choice(
        np.array(["none", "in_school_suspension", "out_of_school_suspension", "expulsion"]),
        k,
        p=[0.55, 0.22, 0.22, 0.01],
    )
    return pd.DataFrame(
        {
            "incident_id": np.char.add("I", np.arange(1, k + 1).astype(str)),
            "student_id": sy["student_id"].to_numpy()[rows],
            "school_year": sy["school_year"].to_numpy()[rows],
            "school_code": sy["school_code"].to_numpy()[rows],
            "grade": sy["grade"].to_numpy()[rows],
            "incident_date": dates.date,
            "consequence": consequence,
            "days_removed": np.where(
                consequence == "out_of_school_suspension",
                rng.integers(1, 6, k),
                np.where(consequence == "none", 0, 1),
            ).astype(float),
        }
    )


def _draw_credits(rng: np.random.Generator, sy: pd.DataFrame) -> pd.DataFrame:
    """Credits of the students in grades 9-12."""
    h = sy[sy["gidx"].to_numpy() >= GRADES.index("9")]
    failures = rng.poisson(np.exp(-1.1 - 0.9 * h["achieve"].to_numpy()))
    attempted = np.full(len(h), 7.0)
    return pd.DataFrame(
        {
            "student_id": h["student_id"],
            "school_year": h["school_year"],
            "school_code": h["school_code"],
            "grade": h["grade"],
            "credits_attempted": attempted,
            "credits_earned": np.clip(attempted - 0.5 * failures, 0, None),
            "core_failures": failures,
        }
    )


def _draw_graduation_cohorts(rng: np.random.Generator, sy: pd.DataFrame) -> pd.DataFrame:
    """The outcome of each year's grade 12 students."""
    g12 = sy[sy["gidx"].to_numpy() == GRADES.index("12")]
    p_grad = 1 / (1 + np.exp(-(2.0 + 1.1 * g12["achieve"].to_numpy())))
    graduated = rng.random(len(g12)) < p_grad
    still = ~graduated & (rng.random(len(g12)) < 0.45)
    return pd.DataFrame(
        {
            "student_id": g12["student_id"],
            "school_year": g12["school_year"],
            "school_code": g12["school_code"],
            "grade": "12",
            "graduated_4yr": graduated,
            "still_enrolled": still,
            "dropped_out": ~graduated & ~still,
        }
    )


def _draw_survey_responses(
    rng: np.random.Generator, sy: pd.DataFrame, climate: np.ndarray
) -> pd.DataFrame:
    """Belonging and climate scores from the students in grades 3-12 who respond (about 80%)."""
    surveyed = (sy["gidx"].to_numpy() >= GRADES.index("3")) & (rng.random(len(sy)) < 0.8)
    s = sy[surveyed]
    survey_parts = []
    for construct, weight in (("belonging", 0.25), ("climate", 0.35)):
        score = (
            3.55
            + weight * climate[s["school"].to_numpy()]
            + 0.12 * s["achieve"].to_numpy()
            - 0.1 * s["swd"].to_numpy()
            + 0.03 * s["year_index"].to_numpy()
            + rng.normal(0, 0.65, len(s))
        )
        survey_parts.append(
            pd.DataFrame(
                {
                    "student_id": s["student_id"],
                    "school_year": s["school_year"],
                    "school_code": s["school_code"],
                    "grade": s["grade"],
                    "construct": construct,
                    "score": np.round(np.clip(score, 1, 5), 2),
                }
            )
        )
    return pd.concat(survey_parts, ignore_index=True)


def _month_over(day: dt.date) -> bool:
    """Whether `day` is the last of its month."""
    return (day + dt.timedelta(days=1)).month != day.month


def _as_of(
    tables: dict[str, pd.DataFrame], years: list[str], as_of: dt.date | None
) -> dict[str, pd.DataFrame]:
    if as_of is None:
        return tables
    a = tables["assessments"]
    pairs = a[["school_year", "test_window"]].drop_duplicates()
    seen = {
        (y, w) for y, w in pairs.itertuples(index=False) if _happened(y, WINDOW_DATES[w], as_of)
    }
    done = pd.MultiIndex.from_frame(a[["school_year", "test_window"]]).isin(list(seen))
    tables["assessments"] = a[done]
    att = tables["attendance"]
    # months and dates are ISO strings, so they compare as they sort
    this_month = f"{as_of:%Y-%m}"
    ended = att["month"] <= this_month if _month_over(as_of) else att["month"] < this_month
    tables["attendance"] = att[ended]
    d = tables["discipline"]
    tables["discipline"] = d[d["incident_date"].astype(str) <= as_of.isoformat()]
    for name, when in (
        ("credits", YEAR_END),
        ("graduation_cohorts", YEAR_END),
        ("survey_responses", SURVEY_DATE),
    ):
        t = tables[name]
        ok = {y: _happened(y, when, as_of) for y in years}
        tables[name] = t[t["school_year"].map(ok)]
    return tables
