"""Every change to frameworks and assessments: each checks the acting user's scope, runs in one
transaction and writes its audit entry (every rating, final rating, reopening and link)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import SYSTEM, access_for, require, restrict
from districtpm.org.models import School, SchoolYear
from districtpm.rubrics import rules
from districtpm.rubrics.models import (
    Assessment,
    Descriptor,
    Domain,
    FinalRating,
    Framework,
    FrameworkVersion,
    Indicator,
    Level,
    Member,
    Rating,
    WorkLink,
)
from districtpm.rubrics.parse import ParsedFramework

# ---------------------------------------------------------------- frameworks


def _key(name: str, taken: set[str]) -> str:
    base = slugify(name)[:36] or "indicator"
    key, n = base, 2
    while key in taken:
        key, n = f"{base[:33]}-{n}", n + 1
    taken.add(key)
    return key


def _write_version(
    framework: Framework,
    parsed: ParsedFramework,
    *,
    first_score: int,
    note: str,
    keys: Mapping[str, str] | None = None,
) -> FrameworkVersion:
    """Write the next version. An indicator keeps the key it carries (`ParsedIndicator.key`,
    from the version it was copied from) or, by its name, one of `keys` (a re-import); every
    such key is reserved before a new one is made, so no new indicator takes an old one's."""
    # One writer at a time numbers the framework's versions.
    Framework.objects.select_for_update().filter(pk=framework.pk).first()
    number = (framework.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = FrameworkVersion.objects.create(framework=framework, number=number, note=note[:300])
    levels = Level.objects.bulk_create(
        Level(
            version=version,
            order=i,
            score=first_score + i,
            name=name,
            evidence_expected=parsed.evidence[i] if parsed.evidence else "",
        )
        for i, name in enumerate(parsed.levels)
    )
    by_name = dict(keys or {})
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    indicators = [i for d in parsed.domains for i in d.indicators]
    for parsed_indicator in indicators:  # carried keys first, then keys matched by name
        if parsed_indicator.key and parsed_indicator.key not in taken:
            chosen[id(parsed_indicator)] = parsed_indicator.key
            taken.add(parsed_indicator.key)
    for parsed_indicator in indicators:
        known = by_name.get(parsed_indicator.name.casefold())
        if id(parsed_indicator) not in chosen and known and known not in taken:
            chosen[id(parsed_indicator)] = known
            taken.add(known)
    taken |= set(by_name.values())  # an old key never goes to a new indicator
    descriptors = []
    for d_order, parsed_domain in enumerate(parsed.domains):
        domain = Domain.objects.create(version=version, order=d_order, name=parsed_domain.name)
        for i_order, parsed_indicator in enumerate(parsed_domain.indicators):
            key = chosen.get(id(parsed_indicator)) or _key(parsed_indicator.name, taken)
            indicator = Indicator.objects.create(
                domain=domain, order=i_order, key=key, name=parsed_indicator.name
            )
            descriptors += [
                Descriptor(indicator=indicator, level=level, text=text)
                for level, text in zip(levels, parsed_indicator.descriptors, strict=True)
            ]
    Descriptor.objects.bulk_create(descriptors)
    return version


@transaction.atomic
def import_framework(
    parsed: ParsedFramework,
    *,
    kind: str,
    acting_user: Any,
    framework: Framework | None = None,
    first_score: int | None = None,
    note: str = "",
) -> FrameworkVersion:
    """Save a parsed framework: a new framework, or the next version of `framework` (whose
    indicators keep their keys where the names match, so trends follow them)."""
    require(acting_user, Framework, message="Your role does not allow importing frameworks.")
    if first_score is None:
        first_score = 0 if kind == Framework.Kind.SCHOOL else 1
    keys: dict[str, str] = {}
    if framework is None:
        if Framework.objects.filter(name__iexact=parsed.name).exists():
            raise ValidationError(
                f"A framework named “{parsed.name}” exists already; import the file as its next "
                "version, or give the new one another name."
            )
        framework = Framework.objects.create(name=parsed.name, kind=kind)
    else:
        require(acting_user, framework)
        current = framework.current
        if current is not None:
            keys = {
                i.name.casefold(): i.key for i in Indicator.objects.filter(domain__version=current)
            }
    version = _write_version(
        framework, parsed, first_score=first_score, note=note or "Imported.", keys=keys
    )
    record(
        actor=acting_user,
        action="rubrics.framework.import",
        obj=version,
        after={
            "name": parsed.name,
            "domains": len(parsed.domains),
            "indicators": parsed.indicator_count,
        },
    )
    return version


def _parsed_from(version: FrameworkVersion) -> tuple[ParsedFramework, dict[str, str], int]:
    """A version's content as a ParsedFramework (to write it again, changed), with its keys."""
    from districtpm.rubrics.parse import ParsedDomain, ParsedIndicator

    levels = list(version.levels.all())
    domains = []
    keys: dict[str, str] = {}
    texts = {
        (d.indicator_id, d.level_id): d.text
        for d in Descriptor.objects.filter(indicator__domain__version=version)
    }
    for domain in version.domains.prefetch_related("indicators"):
        parsed_domain = ParsedDomain(domain.name)
        for indicator in domain.indicators.all():
            keys[indicator.name.casefold()] = indicator.key
            parsed_domain.indicators.append(
                ParsedIndicator(
                    indicator.name,
                    [texts.get((indicator.id, lv.id), "") for lv in levels],
                    0,
                    key=indicator.key,
                )
            )
        domains.append(parsed_domain)
    parsed = ParsedFramework(
        name=version.framework.name,
        levels=[lv.name for lv in levels],
        domains=domains,
        evidence=[lv.evidence_expected for lv in levels],
    )
    return parsed, keys, levels[0].score if levels else 0


@transaction.atomic
def change_indicator(
    indicator: Indicator, *, name: str, descriptors: Iterable[str], acting_user: Any
) -> Indicator:
    """Change an indicator's name and descriptors. A version no assessment has used changes in
    place; a version in use stays as it was rated, and the change makes the next version."""
    version = indicator.domain.version
    require(acting_user, version, message="Your role does not allow changing frameworks.")
    name = name.strip()
    descriptors = [text.strip() for text in descriptors]
    if not name or any(not text for text in descriptors):
        raise ValidationError("An indicator needs a name and a descriptor at every level.")
    levels = list(version.levels.all())
    if len(descriptors) != len(levels):
        raise ValidationError("Give one descriptor per level.")
    before = {
        "name": indicator.name,
        "descriptors": [d.text for d in indicator.descriptors.order_by("level__order")],
    }
    after = {"name": name, "descriptors": descriptors}
    sibling = (
        Indicator.objects.filter(domain=indicator.domain, name__iexact=name)
        .exclude(pk=indicator.pk)
        .exists()
    )
    if sibling:
        raise ValidationError(f"“{name}” is in {indicator.domain.name} already.")
    if version.in_use:
        if version.framework.current != version:
            raise ValidationError(
                f"Version {version.number} is not the framework's latest; change the latest."
            )
        # Every indicator carries its key into the new version (by position, not by name).
        parsed, _, first_score = _parsed_from(version)
        domain = parsed.domains[indicator.domain.order]
        target = domain.indicators[indicator.order]
        target.name, target.descriptors = name, descriptors
        version = _write_version(
            version.framework, parsed, first_score=first_score, note=f"Changed “{before['name']}”."
        )
        indicator = Indicator.objects.get(
            domain__version=version, domain__order=indicator.domain.order, order=indicator.order
        )
    else:
        indicator.name = name
        indicator.full_clean()
        indicator.save()
        for descriptor, text in zip(
            indicator.descriptors.order_by("level__order"), descriptors, strict=True
        ):
            descriptor.text = text
            descriptor.save(update_fields=["text"])
    record(
        actor=acting_user,
        action="rubrics.indicator.change",
        obj=indicator,
        before=before,
        after=after | {"version": version.number},
    )
    return indicator


@transaction.atomic
def set_weak_through(framework: Framework, order: int, *, acting_user: Any) -> Framework:
    """Which final ratings count as weak: those at or below this level (0 = the lowest)."""
    require(acting_user, framework, message="Your role does not allow changing frameworks.")
    from django.db.models import Count, Min

    fewest = framework.versions.annotate(n=Count("levels")).aggregate(m=Min("n"))["m"] or 0
    if not 0 <= order < fewest - 1:
        raise ValidationError("Choose a level below the highest: the top level is never weak.")
    before = snapshot(framework, ["weak_through"])
    framework.weak_through = order
    framework.save(update_fields=["weak_through"])
    record(
        actor=acting_user,
        action="rubrics.framework.weak",
        obj=framework,
        before=before,
        after=snapshot(framework, ["weak_through"]),
    )
    return framework


# ---------------------------------------------------------------- assessments


@dataclass(frozen=True)
class Spread:
    """One indicator's individual ratings: the lowest and highest level, and whether they are
    far enough apart to talk about."""

    orders: tuple[int, ...]
    disagreement_gap: int = 2

    @property
    def low(self) -> int | None:
        return min(self.orders) if self.orders else None

    @property
    def high(self) -> int | None:
        return max(self.orders) if self.orders else None

    @property
    def disagrees(self) -> bool:
        return bool(self.orders) and self.high - self.low >= self.disagreement_gap


@transaction.atomic
def open_assessment(
    version: FrameworkVersion,
    *,
    school: School | None,
    school_year: SchoolYear,
    opens_on: dt.date,
    closes_on: dt.date,
    facilitator: Any,
    team: Iterable[Any],
    acting_user: Any,
) -> Assessment:
    """Open an assessment of a version for the district or a school, with its team."""
    if acting_user is not SYSTEM:
        access = access_for(acting_user)
        reach = rules.opening_schools(access)
        if school is None:
            allowed_here = access.can("rubrics.manage")
        else:
            allowed_here = reach is not None and (
                not reach or School.objects.filter(reach, pk=school.pk).exists()
            )

        if not allowed_here:
            raise PermissionDenied("Your role does not allow opening this assessment.")
    twin = Assessment.objects.filter(
        version__framework=version.framework, school=school, school_year=school_year
    )
    if twin.exists():
        raise ValidationError(
            f"{version.framework.name} is assessed for {school or 'the district'} in "
            f"{school_year} already."
        )
    assessment = Assessment(
        version=version,
        school=school,
        school_year=school_year,
        opens_on=opens_on,
        closes_on=closes_on,
        facilitator=facilitator,
    )
    assessment.full_clean()
    assessment.save()
    team = list({u.pk: u for u in team}.values())
    if not team:
        raise ValidationError("An assessment needs at least one team member.")
    Member.objects.bulk_create(Member(assessment=assessment, user=u) for u in team)
    record(
        actor=acting_user,
        action="rubrics.assessment.open",
        obj=assessment,
        after=snapshot(assessment) | {"team": sorted(u.username for u in team)},
    )
    return assessment


@dataclass
class RatingInput:
    level: Level | None
    note: str = ""
    link: str = ""
    file: Any = None
    metric: Any = None
    clear_file: bool = False


_URL = re.compile(r"^https?://", re.IGNORECASE)


def _top(version: FrameworkVersion) -> Level:
    return version.levels.order_by("-order").first()


@transaction.atomic
def save_ratings(
    member: Member, values: Mapping[int, RatingInput], *, acting_user: Any
) -> list[str]:
    """Save a member's ratings (a draft until they submit); returns the problems (rating at the
    top level without evidence, a level of another version), saving nothing if there is one."""
    require(
        acting_user,
        Rating(member=member),
        message="Your ratings are submitted (or the assessment is closed): they can no longer change.",
    )
    if acting_user is not SYSTEM and member.user_id != getattr(acting_user, "pk", None):
        raise PermissionDenied("Members rate for themselves only.")
    # The state holds whoever acts, the system included: submitted ratings and final
    # assessments do not change.
    member.refresh_from_db(fields=["submitted_at"])
    if member.submitted_at is not None or member.assessment.is_final:
        raise PermissionDenied("These ratings are submitted (or the assessment is final).")
    version = member.assessment.version
    indicators = {i.id: i for i in Indicator.objects.filter(domain__version=version)}
    top = _top(version)
    existing = {r.indicator_id: r for r in member.ratings.all()}
    problems: list[str] = []
    changed = []
    for indicator_id, value in values.items():
        indicator = indicators.get(indicator_id)
        if indicator is None:
            problems.append("An indicator that is not in this assessment's framework was rated.")
            continue
        if value.level is None:
            continue
        if value.level.version_id != version.id:
            problems.append(f"{indicator.name}: that level is not on this framework's scale.")
            continue
        if value.link and not _URL.match(value.link):
            problems.append(f"{indicator.name}: a link must start with http:// or https://.")
            continue
        if value.link:
            try:
                URLValidator(schemes=["http", "https"])(value.link.strip())
            except ValidationError:
                problems.append(f"{indicator.name}: “{value.link[:80]}” is not a web address.")
                continue
        rating = existing.get(indicator_id) or Rating(member=member, indicator=indicator)
        before = (
            snapshot(rating, ["level", "note", "link", "file_name", "metric"])
            if rating.pk
            else None
        )
        rating.level, rating.note, rating.link = value.level, value.note.strip(), value.link.strip()
        rating.metric = value.metric
        if value.clear_file:
            rating.file, rating.file_name = "", ""
        if value.file is not None:
            rating.file = value.file
            rating.file_name = str(getattr(value.file, "name", ""))[:200]
        if value.level.pk == top.pk and not rating.has_evidence:
            problems.append(
                f"{indicator.name}: a rating of {top.name} needs evidence (a note, a link, a file "
                "or a metric)."
            )
            continue
        try:
            rating.full_clean(exclude=["member", "indicator"])
        except ValidationError as exc:
            problems.append(f"{indicator.name}: {' '.join(exc.messages)}")
            continue
        changed.append((rating, before))
    if problems:
        transaction.set_rollback(True)
        return problems
    for rating, before in changed:
        after = snapshot(rating, ["level", "note", "link", "file_name", "metric"])
        value = values[rating.indicator_id]
        if before == after and value.file is None and not value.clear_file:
            continue
        rating.save()
        record(
            actor=acting_user,
            action="rubrics.rating.change",
            obj=rating,
            before=before,
            after=after,
        )
    return []


@transaction.atomic
def submit_ratings(member: Member, *, acting_user: Any) -> Member:
    """Submit a member's ratings: every indicator rated; then they are locked."""
    require(acting_user, member, "submit", "These ratings are submitted already, or not yours.")
    if acting_user is not SYSTEM and member.user_id != getattr(acting_user, "pk", None):
        raise PermissionDenied("Members submit their own ratings only.")
    version = member.assessment.version
    missing = Indicator.objects.filter(domain__version=version).exclude(
        id__in=member.ratings.values("indicator_id")
    )
    if missing.exists():
        names = ", ".join(i.name for i in missing[:5])
        count = missing.count()
        raise ValidationError(
            f"Rate every indicator before submitting: {count} still to rate ({names}"
            + ("…" if count > 5 else "")
            + ")."
        )
    member.submitted_at = timezone.now()
    member.save(update_fields=["submitted_at"])
    record(actor=acting_user, action="rubrics.rating.submit", obj=member, after={"submitted": True})
    return member


@transaction.atomic
def reopen_ratings(member: Member, *, reason: str, acting_user: Any) -> Member:
    """Unlock a member's submitted ratings so they can change them; an audited decision."""
    require(acting_user, member, message="Only the facilitator reopens a member's ratings.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for reopening these ratings.")
    if member.submitted_at is None:
        raise ValidationError("These ratings are not submitted; there is nothing to reopen.")
    if member.assessment.is_final:
        raise ValidationError("The assessment is final; reopen the assessment first.")
    member.submitted_at = None
    member.save(update_fields=["submitted_at"])
    record(
        actor=acting_user,
        action="rubrics.rating.reopen",
        obj=member,
        before={"submitted": True},
        after={"submitted": False},
        note=reason,
    )
    return member


@transaction.atomic
def reveal_ratings(assessment: Assessment, *, acting_user: Any) -> Assessment:
    """Show every member the others' ratings before all have submitted."""
    require(acting_user, assessment, message="Only the facilitator reveals ratings.")
    if not assessment.revealed:
        assessment.revealed = True
        assessment.save(update_fields=["revealed"])
        record(
            actor=acting_user,
            action="rubrics.assessment.reveal",
            obj=assessment,
            before={"revealed": False},
            after={"revealed": True},
        )
    return assessment


def indicator_has_evidence(assessment: Assessment, indicator: Indicator) -> bool:
    from django.db.models import Q

    return (
        Rating.objects.filter(member__assessment=assessment, indicator=indicator)
        .filter(~Q(note="") | ~Q(link="") | ~Q(file="") | Q(metric__isnull=False))
        .exists()
    )


@transaction.atomic
def decide_rating(
    assessment: Assessment,
    indicator: Indicator,
    level: Level,
    *,
    rationale: str,
    acting_user: Any,
) -> FinalRating:
    """Record the team's rating of one indicator with its rationale (the facilitator)."""
    final = FinalRating.objects.filter(assessment=assessment, indicator=indicator).first()
    final = final or FinalRating(assessment=assessment, indicator=indicator)
    require(
        acting_user,
        final if final.pk else FinalRating(assessment=assessment),
        message="Only the facilitator records final ratings, while the assessment is open.",
    )
    if Assessment.objects.filter(pk=assessment.pk, status=Assessment.Status.FINAL).exists():
        raise PermissionDenied("The assessment is final; reopen it to change a final rating.")
    version = assessment.version
    if indicator.domain.version_id != version.id or level.version_id != version.id:
        raise ValidationError("That indicator or level is not in this assessment's framework.")
    rationale = rationale.strip()
    if not rationale:
        raise ValidationError("Give the rationale for the final rating.")
    if level.pk == _top(version).pk and not indicator_has_evidence(assessment, indicator):
        raise ValidationError(
            f"A final rating of {level.name} needs evidence: no member gave any for this indicator."
        )
    before = snapshot(final, ["level", "rationale"]) if final.pk else None
    final.level, final.rationale = level, rationale
    final.decided_by = acting_user if getattr(acting_user, "pk", None) else None
    final.full_clean(exclude=["assessment", "indicator", "decided_by"])
    final.save()
    record(
        actor=acting_user,
        action="rubrics.final.change",
        obj=final,
        before=before,
        after=snapshot(final, ["level", "rationale"]),
    )
    return final


@transaction.atomic
def finalise_assessment(assessment: Assessment, *, acting_user: Any) -> Assessment:
    """Close the assessment with every indicator's final rating recorded."""
    require(acting_user, assessment, message="Only the facilitator finalises the assessment.")
    if assessment.is_final:
        return assessment
    undecided = Indicator.objects.filter(domain__version=assessment.version).exclude(
        id__in=assessment.finals.values("indicator_id")
    )
    count = undecided.count()
    if count:
        raise ValidationError(
            f"Record the final rating of every indicator first: {count} still undecided."
        )
    before = snapshot(assessment, ["status"])
    assessment.status, assessment.finalised_at = Assessment.Status.FINAL, timezone.now()
    assessment.save(update_fields=["status", "finalised_at"])
    record(
        actor=acting_user,
        action="rubrics.assessment.finalise",
        obj=assessment,
        before=before,
        after=snapshot(assessment, ["status"]),
    )
    return assessment


@transaction.atomic
def reopen_assessment(assessment: Assessment, *, reason: str, acting_user: Any) -> Assessment:
    require(acting_user, assessment, message="Only the facilitator reopens the assessment.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for reopening the assessment.")
    if not assessment.is_final:
        raise ValidationError("The assessment is open already.")
    assessment.status, assessment.finalised_at = Assessment.Status.OPEN, None
    assessment.save(update_fields=["status", "finalised_at"])
    record(
        actor=acting_user,
        action="rubrics.assessment.reopen",
        obj=assessment,
        before={"status": "final"},
        after={"status": "open"},
        note=reason,
    )
    return assessment


def is_weak(final: FinalRating) -> bool:
    return final.level.order <= final.assessment.version.framework.weak_through


@transaction.atomic
def link_work(final: FinalRating, target: Any, *, acting_user: Any) -> WorkLink:
    """Tie a weak indicator to a goal, an initiative or an action-plan item the user can see."""
    from districtpm.actionplans.models import PlanAction
    from districtpm.plans.models import Goal, Initiative

    link = WorkLink(final=final)
    require(acting_user, link, message="Your role does not allow linking work to this assessment.")
    if not is_weak(final):
        raise ValidationError("Only a weak indicator is linked to work.")
    field = {Goal: "goal", Initiative: "initiative", PlanAction: "action"}.get(type(target))
    if field is None:
        raise ValidationError("Link a goal, an initiative or an action-plan item.")
    if (
        acting_user is not SYSTEM
        and not restrict(type(target).objects.filter(pk=target.pk), acting_user).exists()
    ):
        raise PermissionDenied("You cannot see that work, so you cannot link it.")
    if WorkLink.objects.filter(final=final, **{field: target}).exists():
        raise ValidationError("That work is linked already.")
    setattr(link, field, target)
    link.full_clean(exclude=["final"])
    link.save()
    record(
        actor=acting_user,
        action="rubrics.link.create",
        obj=link,
        after={"target": str(target), "kind": field},
    )
    return link


@transaction.atomic
def unlink_work(link: WorkLink, *, acting_user: Any) -> None:
    require(acting_user, link, "delete", "Your role does not allow removing this link.")
    record(
        actor=acting_user,
        action="rubrics.link.delete",
        obj=link,
        before={"target": str(link.target)},
    )
    link.delete()
