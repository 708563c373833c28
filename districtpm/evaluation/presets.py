"""The framework District PM ships, in its own words: LEAP's shape (observation of practice
with gateway indicators, professionalism, a student survey for grades 3–12, individual and
collective growth) with Colorado's split since 2023-24 (70% professional practice, 30% measures
of student learning, 10 of them collective). The weights between practice components and the
cut points are not published: these are ours, and a district changes them."""

from __future__ import annotations

OBSERVATION = [
    ("I.1", "Builds a classroom where every student is respected and belongs", True),
    ("I.2", "Sets clear, high expectations for learning and behaviour", False),
    ("I.3", "Plans lessons toward a clear, standards-based goal", True),
    ("I.4", "Makes the content clear and accurate", True),
    ("I.5", "Checks for understanding and adjusts while teaching", False),
    ("I.6", "Asks questions that make students think and explain", False),
    ("I.7", "Gives students most of the thinking and talking", False),
    ("I.8", "Differentiates so every student can reach the goal", True),
    ("I.9", "Supports English learners with language and content", False),
    ("I.10", "Gives timely, specific feedback on students' work", False),
    ("I.11", "Uses time and routines so learning is not lost", False),
    ("I.12", "Uses students' data to plan what comes next", False),
]
PROFESSIONALISM = [
    ("P.1", "Reflects on practice and acts on feedback", False),
    ("P.2", "Works with colleagues toward the school's goals", False),
    ("P.3", "Communicates with families regularly and respectfully", False),
    ("P.4", "Meets professional responsibilities and deadlines", False),
]
COMPONENTS = [
    # kind, name, scale, indicators
    ("observation", "Observation of practice", (1, 4), OBSERVATION),
    ("professionalism", "Professionalism", (1, 4), PROFESSIONALISM),
    ("survey", "Student perception survey", (0, 100), []),
    ("growth_individual", "Student growth: individual goals", (1, 4), []),
    ("growth_collective", "Student growth: the school's measure", (1, 4), []),
]
WEIGHT_SETS = [
    (
        "With a student survey",
        True,
        {
            "observation": 45,
            "professionalism": 15,
            "survey": 10,
            "growth_individual": 20,
            "growth_collective": 10,
        },
    ),
    (
        "Without a student survey",
        False,
        {
            "observation": 55,
            "professionalism": 15,
            "growth_individual": 20,
            "growth_collective": 10,
        },
    ),
]
LEVELS = [
    # order, name, state rating, lowest score
    (1, "Not meeting", "ineffective", 0),
    (2, "Approaching", "partially_effective", 40),
    (3, "Effective", "effective", 60),
    (4, "Distinguished", "highly_effective", 85),
]
