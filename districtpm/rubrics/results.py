"""What the pages show, read in a fixed number of queries: one assessment's indicators with
every visible rating and the spread, the heatmap of schools × indicators, an entity's trend."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet

from districtpm.core.scoping import restrict
from districtpm.rubrics.actions import Spread
from districtpm.rubrics.models import (
    Assessment,
    Descriptor,
    FinalRating,
    Framework,
    FrameworkVersion,
    Indicator,
    Level,
    Rating,
)


@dataclass
class IndicatorRow:
    indicator: Indicator
    descriptors: list[tuple[Level, str]]
    ratings: list[Rating] = field(default_factory=list)
    mine: Rating | None = None
    final: FinalRating | None = None
    uses: list[tuple[str, str]] = field(default_factory=list)  # rubrics.uses: (label, address)

    @property
    def spread(self) -> Spread:
        return Spread(tuple(r.level.order for r in self.ratings))

    def counts(self, levels: list[Level]) -> list[int]:
        return [sum(1 for r in self.ratings if r.level_id == lv.id) for lv in levels]


@dataclass
class DomainBlock:
    name: str
    rows: list[IndicatorRow]


def content(
    version: FrameworkVersion,
) -> tuple[list[Level], list[DomainBlock], dict[int, IndicatorRow]]:
    """A version's levels, and its domains with each indicator's descriptors (three queries)."""
    levels = list(version.levels.all())
    by_level = {lv.id: lv for lv in levels}
    texts: dict[int, list[tuple[Level, str]]] = defaultdict(list)
    for d in Descriptor.objects.filter(indicator__domain__version=version).order_by(
        "indicator_id", "level__order"
    ):
        texts[d.indicator_id].append((by_level[d.level_id], d.text))
    blocks: dict[int, DomainBlock] = {}
    rows: dict[int, IndicatorRow] = {}
    for indicator in Indicator.objects.filter(domain__version=version).select_related("domain"):
        block = blocks.setdefault(indicator.domain_id, DomainBlock(indicator.domain.name, []))
        row = IndicatorRow(indicator, texts[indicator.id])
        block.rows.append(row)
        rows[indicator.id] = row
    return levels, list(blocks.values()), rows


def assessment_view(assessment: Assessment, user: Any, *, whole: bool):
    """The assessment's content with the ratings this user may see and the final ratings."""
    levels, blocks, rows = content(assessment.version)
    if whole:
        visible = restrict(
            Rating.objects.filter(member__assessment=assessment), user
        ).select_related("level", "member__user", "metric")
        for rating in visible:
            row = rows.get(rating.indicator_id)
            if row is None:
                continue
            if rating.member.user_id == user.pk:
                row.mine = rating
            row.ratings.append(rating)
    finals = (
        restrict(FinalRating.objects.filter(assessment=assessment), user)
        .select_related("level", "decided_by")
        .prefetch_related("links__goal", "links__initiative", "links__action")
    )
    for final in finals:
        if final.indicator_id in rows:
            rows[final.indicator_id].final = final
    return levels, blocks, rows


@dataclass
class Heatmap:
    framework: Framework
    year: str
    columns: list[tuple[str, str, str]]  # (key, indicator name, domain name)
    domains: list[tuple[str, int]]  # (domain name, number of columns)
    rows: list[tuple[Any, list[tuple[int, str, int] | None]]]  # school, cells (order, name, score)
    levels: list[str]
    top: int

    @property
    def weak_counts(self) -> list[int]:
        weak = self.framework.weak_through
        return [
            sum(1 for _, cells in self.rows if cells[i] and cells[i][0] <= weak)
            for i in range(len(self.columns))
        ]


def heatmap(framework: Framework, year: str, schools: QuerySet) -> Heatmap:
    """Every school's final rating of every indicator for one framework and year; four queries
    whatever the number of schools."""
    finals = list(
        FinalRating.objects.filter(
            assessment__version__framework=framework,
            assessment__school_year__name=year,
            assessment__status=Assessment.Status.FINAL,
            assessment__school__in=schools.values("id"),
        ).values_list(
            "assessment__school_id",
            "indicator__key",
            "level__order",
            "level__name",
            "level__score",
            "assessment__version_id",
        )
    )
    version_ids = {f[5] for f in finals}
    latest = (
        FrameworkVersion.objects.filter(id__in=version_ids).order_by("-number").first()
        if version_ids
        else framework.current
    )
    columns: list[tuple[str, str, str]] = []
    levels: list[str] = []
    if latest is not None:
        columns = [
            (i.key, i.name, i.domain.name)
            for i in Indicator.objects.filter(domain__version=latest).select_related("domain")
        ]
        levels = list(Level.objects.filter(version=latest).values_list("name", flat=True))
    index = {key: n for n, (key, _, _) in enumerate(columns)}
    cells: dict[int, list] = defaultdict(lambda: [None] * len(columns))
    for school_id, key, order, name, score, _ in finals:
        if key in index:
            cells[school_id][index[key]] = (order, name, score)
    domains: list[tuple[str, int]] = []
    for _, _, domain in columns:
        if domains and domains[-1][0] == domain:
            domains[-1] = (domain, domains[-1][1] + 1)
        else:
            domains.append((domain, 1))
    rows = [(school, cells.get(school.id) or [None] * len(columns)) for school in schools]
    return Heatmap(framework, year, columns, domains, rows, levels, max(len(levels) - 1, 0))


@dataclass
class Trend:
    years: list[str]
    rows: list[tuple[str, str, list[tuple[int, str] | None]]]  # key, name, per year (order, level)


def trend(framework: Framework, school_id: int | None, assessments: QuerySet) -> Trend:
    """One entity's final ratings indicator by indicator across years (the indicator's key
    carries it across versions); three queries."""
    scoped = assessments.filter(
        version__framework=framework, status=Assessment.Status.FINAL, school_id=school_id
    )
    finals = list(
        FinalRating.objects.filter(assessment__in=scoped.values("id"))
        .order_by("assessment__school_year__start_date")
        .values_list(
            "assessment__school_year__name",
            "indicator__key",
            "indicator__name",
            "level__order",
            "level__name",
            "indicator__domain__order",
            "indicator__order",
        )
    )
    years: list[str] = []
    for f in finals:
        if f[0] not in years:
            years.append(f[0])
    names: dict[str, tuple[int, int, str]] = {}
    values: dict[tuple[str, str], tuple[int, str]] = {}
    for year, key, name, order, level, d_order, i_order in finals:
        names[key] = (d_order, i_order, name)  # the latest year's name wins
        values[(key, year)] = (order, level)
    rows = [
        (key, name, [values.get((key, y)) for y in years])
        for key, (_, _, name) in sorted(names.items(), key=lambda kv: kv[1][:2])
    ]
    return Trend(years, rows)


def answered_by_initiatives(user: Any, initiative_ids: list[int]) -> dict[int, list[str]]:
    """For the plan and meeting pages: the weak indicators linked to each initiative that the
    user may see, each once, with how many schools (or the district) it stands for; one query."""
    from districtpm.rubrics.models import WorkLink

    rows = (
        WorkLink.objects.visible_to(user)
        .filter(
            initiative_id__in=initiative_ids,
            final__assessment__status=Assessment.Status.FINAL,
            final__level__order__lte=F("final__assessment__version__framework__weak_through"),
        )
        .values_list("initiative_id", "final__indicator__name", "final__assessment__school_id")
    )
    found: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for initiative_id, name, school_id in rows:
        found[initiative_id][name].add(school_id)
    labels: dict[int, list[str]] = {}
    for initiative_id, names in found.items():
        labels[initiative_id] = []
        for name, schools in sorted(names.items()):
            parts = []
            if None in schools:
                parts.append("the district")
            count = len(schools - {None})
            if count:
                parts.append(f"{count} school{'s' if count != 1 else ''}")
            labels[initiative_id].append(f"{name} ({', '.join(parts)})")
    return labels
