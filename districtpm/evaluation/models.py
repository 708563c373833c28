"""The evaluation framework as data, one per district and school year: its components (each
with its indicators and score scale), the weights that combine them (which may differ by role,
e.g. with and without a student survey), and the overall levels with their cut points and the
state rating each one is. A year's framework is its own rows, so next year's weights never
change a closed year."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from districtpm.core.scoping import ScopedQuerySet
from districtpm.evaluation import status


class Framework(models.Model):
    """A school year's evaluation framework."""

    school_year = models.ForeignKey("org.SchoolYear", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    closed = models.BooleanField(
        default=False, help_text="Closed once the year's ratings are final: it no longer changes."
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "name"], name="one_framework_name_a_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.school_year}"


class Component(models.Model):
    """A part of the evaluation scored on its own scale: observation of practice,
    professionalism, a student survey, individual or collective growth."""

    class Kind(models.TextChoices):
        OBSERVATION = "observation", "Observation of practice"
        PROFESSIONALISM = "professionalism", "Professionalism"
        SURVEY = "survey", "Student perception survey"
        GROWTH_INDIVIDUAL = "growth_individual", "Student growth: individual measures"
        GROWTH_COLLECTIVE = "growth_collective", "Student growth: collective measure"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    scale_min = models.FloatField(default=1)
    scale_max = models.FloatField(default=4)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="one_component_name"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")), name="component_scale"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator of a component, scored on the component's scale; a gateway indicator is
    one the framework asks to be scored before the others."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=300)
    gateway = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["component", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class WeightSet(models.Model):
    """How the components combine for a group of educators (for example teachers with a
    student survey, and without one)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="weight_sets")
    name = models.CharField(max_length=200)
    default = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "-default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="one_weight_set_name")
        ]

    def __str__(self) -> str:
        return self.name


class Weight(models.Model):
    """A component's share of the overall score in one weight set, in percent."""

    weight_set = models.ForeignKey(WeightSet, on_delete=models.CASCADE, related_name="weights")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["weight_set", "component__order"]
        constraints = [
            models.UniqueConstraint(fields=["weight_set", "component"], name="one_weight"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="weight_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.percent}%"


class OverallLevel(models.Model):
    """An overall rating: its name in the district's words, the state rating it is, and the
    lowest overall score (0 to 100) that reaches it."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField()  # 1 is the lowest
    name = models.CharField(max_length=100)
    state_rating = models.CharField(max_length=20, choices=list(status.RATINGS.items()))
    min_score = models.FloatField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "order"], name="one_level_a_place"),
            models.CheckConstraint(
                condition=models.Q(min_score__gte=0, min_score__lte=100), name="level_cut_point"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# A teacher's evaluation for one school year: personnel data. Seen by the teacher, their
# evaluator (caseload), their school's principal and HR partners only (rules.py).


class Evaluation(models.Model):
    """One educator's evaluation in one school year, at one school."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        FINAL = "final", "Final"

    staff = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="evaluations")
    school = models.ForeignKey("org.School", on_delete=models.PROTECT, related_name="+")
    school_year = models.ForeignKey("org.SchoolYear", on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="evaluations")
    weight_set = models.ForeignKey(WeightSet, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=5, choices=State.choices, default=State.OPEN)
    final_score = models.FloatField(null=True, blank=True)
    final_level = models.ForeignKey(
        OverallLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rationale = models.TextField(
        blank=True, max_length=4000, help_text="Why the overall rating is what it is."
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "staff__last_name", "staff__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "school_year"], name="one_evaluation_a_year")
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.staff}, {self.school_year}"


class ComponentScore(models.Model):
    """An evaluation's score on one component, with the rationale a final score needs."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    rationale = models.TextField(blank=True, max_length=4000)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "component__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "component"], name="one_score_a_component"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.score:g}"
