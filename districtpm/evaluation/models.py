"""The evaluation framework as data, one per district and school year: its components (each
with its indicators and score scale), the weights that combine them (which may differ by role,
e.g. with and without a student survey), and the overall levels with their cut points and the
state rating each one is. A year's framework is its own rows, so next year's weights never
change a closed year."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from districtpm.core.scoping import ScopedQuerySet
from districtpm.evaluation import status


class Framework(models.Model):
    """A school year's evaluation framework."""

    school_year = models.ForeignKey("org.SchoolYear", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    closed = models.BooleanField(
        default=False, help_text="Closed once the year's ratings are final: it no longer changes."
    )
    # the dates the law leaves to the district (status.Settings has the defaults)
    nonrenewal_notice_month = models.PositiveSmallIntegerField(default=6)
    nonrenewal_notice_day = models.PositiveSmallIntegerField(
        default=1, help_text="A non-renewal notice is given before this day (1 June by default)."
    )
    reasons_within_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days to give the reasons for a non-renewal once they are asked for."
    )
    appeal_filing_days = models.PositiveSmallIntegerField(default=15)
    appeal_decision_days = models.PositiveSmallIntegerField(default=45)

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

    def settings(self) -> status.Settings:
        """The status engine's settings for this year's dates and clocks."""
        return status.Settings(
            nonrenewal_notice_before=(self.nonrenewal_notice_month, self.nonrenewal_notice_day),
            reasons_within_days=self.reasons_within_days,
            appeal_filing_days=self.appeal_filing_days,
            appeal_decision_days=self.appeal_decision_days,
        )


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


class Window(models.Model):
    """A window of the evaluation year: when goals are set, observations made, conversations
    held and ratings due. Made from the school year's calendar (calendar.py); a district may
    move the dates."""

    class Kind(models.TextChoices):
        GOALS = "goals", "Beginning-of-year goals"
        OBSERVATION_1 = "observation_1", "First observation cycle"
        MID_YEAR = "mid_year", "Mid-year conversation"
        OBSERVATION_2 = "observation_2", "Second observation cycle"
        END_OF_YEAR = "end_of_year", "End-of-year conversation"
        RATINGS_DUE = "ratings_due", "Final ratings"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="windows")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    opens = models.DateField()
    closes = models.DateField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "opens", "closes"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "kind"], name="one_window_a_kind"),
            models.CheckConstraint(
                condition=models.Q(closes__gte=models.F("opens")), name="window_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.opens:%-d %b} – {self.closes:%-d %b %Y}"


class Observation(models.Model):
    """An observation of a teacher's practice: the indicators scored, notes taken as it went
    (each time-stamped) and one action step. The teacher sees it once it is shared."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="observations"
    )
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    observed_on = models.DateField()
    minutes = models.PositiveSmallIntegerField(default=30)
    action_step = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    shared_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "observed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=480), name="observation_minutes"
            )
        ]

    def __str__(self) -> str:
        return f"Observation of {self.evaluation.staff}, {self.observed_on}"


class ObservationNote(models.Model):
    """A note taken during an observation, stamped with the time it was written, tagged to
    the indicator it is evidence for."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="notes")
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(max_length=2000)
    at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["observation", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M} {self.text[:40]}"


class ObservationScore(models.Model):
    """An observation's score on one indicator, on its component's scale."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["observation", "indicator__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "indicator"], name="one_score_an_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.score:g}"


class Conversation(models.Model):
    """A mid-year or end-of-year conversation: the teacher's reflection beforehand, the
    evaluator's notes section by section (conversations.py has the guides), and the
    teacher's acknowledgement that it took place — which is not agreement."""

    class Kind(models.TextChoices):
        MID_YEAR = "mid_year", "Mid-year conversation"
        END_OF_YEAR = "end_of_year", "End-of-year conversation"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="conversations"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reflection = models.TextField(blank=True, max_length=4000)
    reflection_at = models.DateTimeField(null=True, blank=True)
    notes = models.JSONField(default=dict, blank=True)  # section key → text
    held_on = models.DateField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    teacher_comment = models.TextField(blank=True, max_length=4000)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "kind"], name="one_conversation_a_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.evaluation.staff}"


class FollowUp(models.Model):
    """A follow-up email to the teacher after a conversation, from a template, as sent."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="followups")
    template = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10000)
    risks = models.JSONField(default=list, blank=True)  # the risk codes when it was sent
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "-sent_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.sent_at:%Y-%m-%d})"


class SupportPlan(models.Model):
    """A plan of support: goals, the supports given, check-ins, and how it ended."""

    class Outcome(models.TextChoices):
        OPEN = "", "In progress"
        MET = "met", "Goals met"
        PARTLY = "partly", "Goals partly met"
        NOT_MET = "not_met", "Goals not met"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="support_plans"
    )
    goals = models.TextField(max_length=4000)
    supports = models.TextField(max_length=4000)
    starts_on = models.DateField()
    ends_on = models.DateField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True, default="")
    outcome_note = models.TextField(blank=True, max_length=4000)
    closed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="support_plan_dates"
            )
        ]

    def __str__(self) -> str:
        return f"Plan of support for {self.evaluation.staff}, from {self.starts_on}"


class CheckIn(models.Model):
    """A check-in on a plan of support."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="check_ins")
    held_on = models.DateField()
    notes = models.TextField(max_length=4000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "held_on", "pk"]

    def __str__(self) -> str:
        return f"Check-in {self.held_on}"


class NonRenewal(models.Model):
    """The non-renewal of a probationary teacher's contract for the next year: the notice,
    due before the district's date, and the reasons, due within a number of days of the
    teacher asking. The teacher sees it once notice is given."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.CASCADE, related_name="nonrenewal"
    )
    reasons = models.TextField(max_length=4000)
    proposed_on = models.DateField()
    notice_given_on = models.DateField(null=True, blank=True)
    reasons_requested_on = models.DateField(null=True, blank=True)
    reasons_given_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Non-renewal of {self.evaluation.staff}, {self.evaluation.school_year}"


class Appeal(models.Model):
    """A teacher's disagreement with an overall rating, a grievance, or an appeal of the
    rating that ended non-probationary status (on limited grounds): filed within a window
    of the rating, decided within a number of days, by a panel, with an outcome."""

    class Kind(models.TextChoices):
        DISAGREEMENT = "disagreement", "Disagreement with the overall rating"
        GRIEVANCE = "grievance", "Grievance"
        APPEAL = "appeal", "Appeal of the loss of non-probationary status"

    class Ground(models.TextChoices):
        PROCESS = "process", "The process was not followed, and that changed the rating"
        DATA = "data", "Data were wrongly attributed to the teacher"

    class Outcome(models.TextChoices):
        PENDING = "", "Pending"
        UPHELD = "upheld", "Rating stands"
        CHANGED = "changed", "Rating changed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="appeals")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    notified_on = models.DateField(help_text="When the teacher received the rating.")
    filed_on = models.DateField()
    grounds = models.JSONField(default=list, blank=True)  # Ground values, appeals only
    statement = models.TextField(max_length=8000)
    panel = models.TextField(blank=True, max_length=2000)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    decided_on = models.DateField(null=True, blank=True)
    decision = models.TextField(blank=True, max_length=8000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", "filed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.evaluation.staff}, filed {self.filed_on}"
