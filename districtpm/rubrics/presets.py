"""The two frameworks the product ships, in our own words: a district rubric with the shape of a
"conditions for success" rubric (five domains, three levels) and a school MTSS self-assessment
(six domains of items scored 0 to 3). A district imports its own text instead (parse.py)."""

from __future__ import annotations

from districtpm.rubrics.parse import ParsedDomain, ParsedFramework, ParsedIndicator

DISTRICT_LEVELS = ["Developing", "Proficient", "Exemplary"]

# domain -> [(indicator, [developing, proficient, exemplary])]
_DISTRICT: dict[str, list[tuple[str, list[str]]]] = {
    "Culture of performance": [
        (
            "Clear expectations from the top",
            [
                "Leaders describe priorities differently; there is no written theory of action.",
                "The superintendent and cabinet state the same few goals and the strategy behind them.",
                "Every district message ties back to the plan's goals and reports progress on them.",
            ],
        ),
        (
            "Leaders accountable for results",
            [
                "Who owns which goal is unclear, and progress is rarely reported.",
                "Each goal has an owner who reports progress to the board on a set calendar.",
                "Leaders discuss setbacks openly and change course on the evidence.",
            ],
        ),
        (
            "Resources follow priorities",
            [
                "Budget decisions are made without comparing initiatives against the goals.",
                "Funding across sources is aligned to the goals, and data inform major decisions.",
                "Programs are compared on their return to students, and the weakest are stopped.",
            ],
        ),
    ],
    "Academic systems": [
        (
            "Aligned curriculum",
            [
                "Materials are aligned to standards in some subjects and grades only.",
                "Every core subject and grade has aligned materials and common assessments.",
                "Teachers' feedback on the materials decides what is bought and replaced.",
            ],
        ),
        (
            "Common interim assessments",
            [
                "Schools choose their own interim tests; growth cannot be compared.",
                "One interim assessment is given district-wide and teams have time to study it.",
                "Students track their own progress against the standards with their teachers.",
            ],
        ),
        (
            "Tiered supports",
            [
                "Interventions depend on the school; entry and exit rules are unwritten.",
                "Every school runs tiered supports with shared rules for entry and exit.",
                "The district checks each tier's results and reshapes the supports that lag.",
            ],
        ),
    ],
    "Talent": [
        (
            "Hiring for the schools that need it most",
            [
                "Schools with the greatest need fill vacancies last.",
                "Those schools hire first, with a pool screened for the skills they need.",
                "Their vacancies are filled before the school year ends, every year.",
            ],
        ),
        (
            "Growing school leaders",
            [
                "Principals receive the same training whatever their needs.",
                "Principal development follows a leadership framework and each one's goals.",
                "Principals lead their own learning and coach their peers.",
            ],
        ),
        (
            "Recognising strong performance",
            [
                "Strong performance goes unnoticed by the system.",
                "Schools and teams that meet targets are recognised in ways staff value.",
                "Recognition is tied to results and helps keep the strongest staff.",
            ],
        ),
    ],
    "Support for low-performing schools": [
        (
            "Central office support by need",
            [
                "Every school receives the same support.",
                "Support is scaled to each school's results and reviewed each term.",
                "The schools supported most improve fastest, and the support model is refined.",
            ],
        ),
        (
            "Flexibility earned by results",
            [
                "Schools have little say over staff, time or budget.",
                "Schools in turnaround have defined flexibility over staff, time and budget.",
                "Flexibility grows with a school's results and capacity.",
            ],
        ),
        (
            "Monitoring of priority schools",
            [
                "Priority schools are reviewed once a year, on lagging results.",
                "Priority schools' leading measures are reviewed with leaders at least quarterly.",
                "Reviews lead to decisions within weeks, and their effect is checked.",
            ],
        ),
    ],
    "Board and community": [
        (
            "Board goals",
            [
                "The board's goals are broad and not measured.",
                "The board adopts a few measurable goals with the superintendent.",
                "Board decisions on budget and policy are made against those goals.",
            ],
        ),
        (
            "Family and community voice",
            [
                "The district informs families after decisions are made.",
                "Families and partners are consulted before major decisions, in their languages.",
                "Survey and meeting results visibly change the district's plans.",
            ],
        ),
        (
            "Progress reported publicly",
            [
                "Progress is reported irregularly and in different forms.",
                "The board receives progress on every goal on a published calendar.",
                "The public can follow every goal's progress between board meetings.",
            ],
        ),
    ],
}

MTSS_LEVELS = ["Not implementing", "Emerging", "Operationalizing", "Optimizing"]
# The scale is the same for every item, as in the usual MTSS self-assessments.
MTSS_DESCRIPTORS = [
    "Not in place: nobody in the school does this yet.",
    "Begun: planned, or done by some staff, but not yet a routine.",
    "A routine across the school, and records show it happens.",
    "A routine whose results are checked and which is refined at least once a year.",
]
_MTSS: dict[str, list[str]] = {
    "Leadership": [
        "A leadership team owns MTSS and meets at least monthly",
        "The principal takes part in MTSS decisions",
        "MTSS is part of the school's improvement plan",
    ],
    "Capacity and infrastructure": [
        "Staff are trained in the tiered model and the tools it uses",
        "The schedule protects time for intervention",
        "Intervention materials are chosen for their evidence",
    ],
    "Communication and collaboration": [
        "Families hear about their child's supports and progress",
        "Teachers meet in teams to plan from student data",
        "Staff know how decisions about supports are made",
    ],
    "Data-based problem solving": [
        "Problems are defined as the gap between expected and current results",
        "Root causes are checked against data before a plan is made",
        "Each plan names who does what by when, and how progress is measured",
    ],
    "Three-tier model": [
        "Core instruction reaches at least four in five students",
        "Students are screened at least three times a year",
        "Rules for entering and leaving each tier are written and followed",
    ],
    "Data evaluation": [
        "Interventions' fidelity is checked",
        "The team reviews whether each tier's results improve",
        "Findings change what the school does next year",
    ],
}


def district_rubric() -> ParsedFramework:
    return ParsedFramework(
        name="Conditions for district success",
        levels=DISTRICT_LEVELS,
        domains=[
            ParsedDomain(name, [ParsedIndicator(i, list(d), 0) for i, d in indicators])
            for name, indicators in _DISTRICT.items()
        ],
        evidence=["", "", "Evidence is required for a rating at this level."],
    )


def school_mtss() -> ParsedFramework:
    return ParsedFramework(
        name="School MTSS self-assessment",
        levels=MTSS_LEVELS,
        domains=[
            ParsedDomain(name, [ParsedIndicator(i, list(MTSS_DESCRIPTORS), 0) for i in items])
            for name, items in _MTSS.items()
        ],
        evidence=["", "", "", "Evidence is required for a rating at this level."],
    )


# name -> (builder, kind, first score)
PRESETS = {
    "district": (district_rubric, "district", 1),
    "school": (school_mtss, "school", 0),
}
