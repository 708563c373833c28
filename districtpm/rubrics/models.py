"""What the rubrics app stores.

A **framework** (the district's "Conditions for Success", a school MTSS self-assessment) is a
series of **versions**; a version holds the domains, indicators, ordered levels and the
descriptor of each indicator at each level. A version an assessment has used is never changed:
changing the framework makes a new version, and past assessments keep the one they were made
with. An indicator keeps its `key` from version to version, so trends follow it across years.

An **assessment** rates one version for one entity (the district, or one school) in one school
year. Each **member** of its team rates every indicator alone (a **rating**, with evidence) and
submits; the facilitator sees the spread, records the **final rating** of each indicator with a
rationale and finalises the assessment. A weak indicator can be **linked** to the work that
answers it: a plan goal, an initiative, an action-plan item.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from districtpm.core.scoping import ScopedQuerySet
from districtpm.org.models import School, SchoolYear


class Framework(models.Model):
    """A rubric or self-assessment instrument, by name; its content lives in its versions."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "District rubric"
        SCHOOL = "school", "School self-assessment"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.TextField(blank=True)
    # Final ratings at or below this level (0 = the lowest) are weak: they need linked work.
    weak_through = models.PositiveSmallIntegerField(
        default=0, help_text="Final ratings at or below this level (0 = the lowest) are weak."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> FrameworkVersion | None:
        return self.versions.order_by("-number").first()


class FrameworkVersion(models.Model):
    """One version of a framework's content; frozen once an assessment uses it."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="rubric_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.framework.name}, version {self.number}"

    @property
    def in_use(self) -> bool:
        return self.assessments.exists()


class Level(models.Model):
    """One step of a version's scale, lowest first (`order` 0); `score` is what it counts as."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField()
    score = models.SmallIntegerField()
    name = models.CharField(max_length=100)
    evidence_expected = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="rubric_level_order")
        ]

    def __str__(self) -> str:
        return self.name


class Domain(models.Model):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="domains")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField()
    # The same practice across versions: trends and the heatmap follow the key.
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["domain__order", "order"]

    def __str__(self) -> str:
        return self.name


class Descriptor(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="descriptors")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="descriptors")
    text = models.TextField()

    class Meta:
        ordering = ["indicator", "level__order"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "level"], name="rubric_descriptor")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} at {self.level}"


class Assessment(models.Model):
    """One framework version rated for the district (no school) or a school, in one year."""

    class Status(models.TextChoices):
        OPEN = "open", "Open for ratings"
        FINAL = "final", "Final"

    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="assessments"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    opens_on = models.DateField()
    closes_on = models.DateField()
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_assessments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The facilitator may show every member's ratings before everyone has submitted.
    revealed = models.BooleanField(default=False)
    finalised_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "school__name"]
        # One assessment of a version per school and year, and one of the district (a
        # NULL school is distinct from every other in SQL, hence two partial constraints);
        # open_assessment also refuses a second one of another version of the framework.
        constraints = [
            models.UniqueConstraint(
                fields=["version", "school", "school_year"],
                condition=models.Q(school__isnull=False),
                name="one_school_assessment_per_year",
            ),
            models.UniqueConstraint(
                fields=["version", "school_year"],
                condition=models.Q(school__isnull=True),
                name="one_district_assessment_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version.framework.name} — {self.entity_name}, {self.school_year}"

    @property
    def entity_name(self) -> str:
        return self.school.name if self.school_id else "the district"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    def clean(self) -> None:
        kind = self.version.framework.kind
        if kind == Framework.Kind.SCHOOL and self.school_id is None:
            raise ValidationError({"school": "A school self-assessment is of one school."})
        if kind == Framework.Kind.DISTRICT and self.school_id is not None:
            raise ValidationError({"school": "A district rubric rates the district, not a school."})
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": "The assessment must close on or after it opens."})


class Member(models.Model):
    """A member of an assessment's team; `submitted_at` locks their ratings."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rubric_memberships"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "user__last_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} on {self.assessment}"


def evidence_path(instance: Rating, filename: str) -> str:
    return f"rubrics/evidence/{instance.member.assessment_id}/{filename}"


class Rating(models.Model):
    """One member's rating of one indicator, with the evidence they give for it."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="ratings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="ratings")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True, max_length=4000)
    link = models.URLField(blank=True, max_length=500)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True)
    metric = models.ForeignKey(
        "metrics.Metric", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["indicator__domain__order", "indicator__order"]
        constraints = [
            models.UniqueConstraint(fields=["member", "indicator"], name="one_rating_per_indicator")
        ]

    def __str__(self) -> str:
        # No level here: the audit log shows an object's name to everyone who reads the log.
        return f"Rating of {self.indicator}"

    @property
    def has_evidence(self) -> bool:
        return bool(self.note.strip() or self.link or self.file or self.metric_id)


class FinalRating(models.Model):
    """The team's rating of one indicator, recorded by the facilitator with a rationale."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="finals")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="finals")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField(max_length=4000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["indicator__domain__order", "indicator__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="one_final_rating")
        ]

    def __str__(self) -> str:
        return f"Final rating of {self.indicator}"


class WorkLink(models.Model):
    """A weak indicator of one assessment tied to the work that answers it."""

    final = models.ForeignKey(FinalRating, on_delete=models.CASCADE, related_name="links")
    goal = models.ForeignKey(
        "plans.Goal", null=True, blank=True, on_delete=models.CASCADE, related_name="rubric_links"
    )
    initiative = models.ForeignKey(
        "plans.Initiative",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rubric_links",
    )
    action = models.ForeignKey(
        "actionplans.PlanAction",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rubric_links",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(goal__isnull=False, initiative__isnull=True, action__isnull=True)
                    | models.Q(goal__isnull=True, initiative__isnull=False, action__isnull=True)
                    | models.Q(goal__isnull=True, initiative__isnull=True, action__isnull=False)
                ),
                name="work_link_names_one_thing",
            ),
            *[
                models.UniqueConstraint(
                    fields=["final", field],
                    condition=models.Q(**{f"{field}__isnull": False}),
                    name=f"work_link_once_per_{field}",
                )
                for field in ("goal", "initiative", "action")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.final.indicator} → {self.target}"

    @property
    def target(self) -> models.Model:
        return self.goal or self.initiative or self.action

    @property
    def kind(self) -> str:
        return (
            "goal" if self.goal_id else "initiative" if self.initiative_id else "action-plan item"
        )
