"""The status engine against an independent reading of the rules, over 1,000 generated teachers:
status and every change, this year's risks, and every deadline.

The independent reading works on a teacher's record written as one letter a school year
(G effective or better, L below effective, . no rating or no record) and finds each change of
status as the first match of GGG (while probationary) or LL (while not) after the last change:
a search over text, not the engine's running count."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from districtpm.evaluation import status as s

LETTER = {
    s.HIGHLY_EFFECTIVE: "G",
    s.EFFECTIVE: "G",
    s.PARTIALLY_EFFECTIVE: "L",
    s.INEFFECTIVE: "L",
    None: ".",
}


def record(years: list[s.Year]) -> tuple[int, str]:
    """The first year and the record as letters, a letter for every year from the first."""
    if not years:
        return 0, ""
    by_start = {y.start: y.rating for y in years}
    first, last = min(by_start), max(by_start)
    return first, "".join(LETTER[by_start.get(y)] for y in range(first, last + 1))


def independent_changes(years: list[s.Year], starting: str) -> list[tuple[int, str]]:
    first, text = record(years)
    changes, status, pos = [], starting, 0
    while True:
        pattern = "GGG" if status == s.PROBATIONARY else "LL"
        found = re.compile(pattern).search(text, pos)
        if found is None:
            return changes
        status = s.NON_PROBATIONARY if status == s.PROBATIONARY else s.PROBATIONARY
        changes.append((first + found.end() - 1, status))
        pos = found.end()


def generate(rng: random.Random) -> tuple[list[s.Year], str]:
    """A teacher's record: a few to ten years, mostly rated effective or better, some below,
    now and then a year without a rating or missing; most start probationary."""
    start = rng.randint(2012, 2020)
    years = []
    for offset in range(rng.randint(1, 10)):
        roll = rng.random()
        if roll < 0.06:
            continue  # missing from the record
        rating = (
            None
            if roll < 0.12
            else rng.choice([s.HIGHLY_EFFECTIVE, s.EFFECTIVE, s.EFFECTIVE])
            if roll < 0.72
            else rng.choice([s.PARTIALLY_EFFECTIVE, s.INEFFECTIVE])
        )
        years.append(s.Year(start + offset, rating))
    rng.shuffle(years)  # the engine orders them itself
    return years, s.PROBATIONARY if rng.random() < 0.8 else s.NON_PROBATIONARY


TEACHERS = [generate(random.Random(seed)) for seed in range(1000)]


def test_the_generated_teachers_cover_every_case():
    changes = [c for years, start in TEACHERS for c in independent_changes(years, start)]
    earned = sum(1 for _, status in changes if status == s.NON_PROBATIONARY)
    lost = sum(1 for _, status in changes if status == s.PROBATIONARY)
    assert earned > 200 and lost > 50
    # someone who earned status, lost it and earned it again
    assert any(len(independent_changes(y, st)) >= 3 for y, st in TEACHERS)


@pytest.mark.parametrize("chunk", range(4))
def test_status_and_every_change_match_the_independent_reading(chunk):
    for years, starting in TEACHERS[chunk * 250 : (chunk + 1) * 250]:
        h = s.history(years, starting=starting)
        expected = independent_changes(years, starting)
        assert [(c.year, c.status) for c in h.changes] == expected, years
        assert h.status == (expected[-1][1] if expected else starting)
        for c in h.changes:  # the proof: the years that made the change, all consecutive
            needed = s.YEARS_TO_EARN if c.status == s.NON_PROBATIONARY else s.YEARS_TO_LOSE
            assert c.because == tuple(range(c.year - needed + 1, c.year + 1))
        for year in {y.start for y in years}:
            assert s.may_appeal(h, year) == ((year, s.PROBATIONARY) in expected)


def independent_risks(years, starting, current, projected, today, last_day):
    closed = [y for y in years if y.start < current]
    changes = independent_changes(closed, starting)
    status = changes[-1][1] if changes else starting
    ratings = {y.start: y.rating for y in closed}
    codes = []
    if LETTER[projected] == "L":
        codes.append("below_effective")
    if status == s.NON_PROBATIONARY and LETTER[projected] == "L":
        if LETTER[ratings.get(current - 1)] == "L":
            codes.append("losing_status")
    notice_by = dt.date(last_day.year, 5, 31)
    if status == s.PROBATIONARY and notice_by - dt.timedelta(days=60) <= today <= notice_by:
        codes.append("nonrenewal_window")
    return status, codes


def test_this_years_risks_match_the_independent_reading():
    rng = random.Random(7)
    flagged = set()
    for years, starting in TEACHERS:
        current = max(y.start for y in years) + rng.choice([0, 1]) if years else 2021
        projected = rng.choice(list(s.RATINGS) + [None])
        last_day = dt.date(current + 1, 5, rng.randint(20, 31))
        today = dt.date(current + 1, rng.choice([1, 3, 4, 5]), rng.randint(1, 28))
        got = s.standing(
            years, current, projected, today, s.year_dates(last_day), starting=starting
        )
        status, codes = independent_risks(years, starting, current, projected, today, last_day)
        assert (got.status, [r.code for r in got.risks]) == (status, codes), years
        assert all(r.reason for r in got.risks)
        flagged |= set(codes)
    assert flagged == {"below_effective", "losing_status", "nonrenewal_window"}


def test_every_deadline_matches_the_calendar():
    rng = random.Random(11)
    for _ in range(1000):
        last_day = dt.date(rng.randint(2020, 2030), rng.choice([5, 6]), rng.randint(1, 28))
        d = s.year_dates(last_day)
        assert d.ratings_due.toordinal() == last_day.toordinal() - 14
        assert d.ratings_due.weekday() == last_day.weekday()  # two whole weeks before
        assert (d.nonrenewal_notice_by.month, d.nonrenewal_notice_by.day) == (5, 31)
        assert (d.nonrenewal_notice_by - d.nonrenewal_window_opens).days == 60
        notified = dt.date(last_day.year, rng.randint(1, 12), rng.randint(1, 28))
        filed = notified + dt.timedelta(days=rng.randint(0, 15))
        a = s.appeal_dates(notified, filed)
        assert (a.file_by - notified).days == 15 and (a.decide_by - filed).days == 45
        assert s.reasons_due(notified).toordinal() == notified.toordinal() + 14


def test_the_worked_examples():
    G, L = s.EFFECTIVE, s.INEFFECTIVE
    # three effective years earn status at the end of the third
    h = s.history([s.Year(2019, G), s.Year(2020, G), s.Year(2021, s.HIGHLY_EFFECTIVE)])
    assert h.status == s.NON_PROBATIONARY and h.changes[0] == s.Change(
        2021, s.NON_PROBATIONARY, (2019, 2020, 2021)
    )
    # a year of leave breaks the run
    assert s.history([s.Year(2019, G), s.Year(2020, None), s.Year(2021, G)]).status == (
        s.PROBATIONARY
    )
    # partially effective counts with ineffective for losing status, and may be appealed
    h = s.history(
        [s.Year(2022, s.PARTIALLY_EFFECTIVE), s.Year(2023, L)], starting=s.NON_PROBATIONARY
    )
    assert h.status == s.PROBATIONARY and s.may_appeal(h, 2023) and not s.may_appeal(h, 2022)
    with pytest.raises(ValueError, match="one final rating"):
        s.history([s.Year(2022, G), s.Year(2022, L)])
    with pytest.raises(ValueError, match="filed between"):
        s.appeal_dates(dt.date(2027, 3, 1), dt.date(2027, 3, 20))
