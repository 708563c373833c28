"""The guided templates for the year's two conversations, and the follow-up emails. Written in
District PM's own words; a section's key is what a conversation's notes are stored under.

A follow-up email is plain text filled from the record with Django's template engine with
autoescaping off (an email is not HTML) — the text a user edits before sending is the text
sent."""

from __future__ import annotations

from dataclasses import dataclass

from django.template import Context, Engine


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    talking_points: tuple[str, ...]


MID_YEAR = (
    Section(
        "open",
        "Opening",
        (
            "Say what the conversation is for: a check on the year so far, with no surprises.",
            "Ask how the year is going, in the teacher's words.",
        ),
    ),
    Section(
        "practice",
        "Practice so far",
        (
            "Go through the observations: what the evidence shows on each indicator scored.",
            "Name one strength to build on and one indicator to grow, with the evidence.",
        ),
    ),
    Section(
        "students",
        "Students' progress",
        (
            "Look at the teacher's student goals and the latest results together.",
            "Agree what would change the trend before the spring.",
        ),
    ),
    Section(
        "next",
        "Next steps and support",
        (
            "One or two action steps, each with what support the school gives.",
            "If the projected rating is below effective, say so plainly and what it means.",
            "Ask about the teacher's plans and career aspirations.",
        ),
    ),
)
END_OF_YEAR = (
    Section(
        "open",
        "Opening",
        ("Say what the conversation is for: the year's ratings, and next year.",),
    ),
    Section(
        "ratings",
        "The ratings and why",
        (
            "Go through each component's rating and its rationale.",
            "Then the overall rating and its rationale.",
        ),
    ),
    Section(
        "growth",
        "Growth over the year",
        (
            "Compare the practice and results with the mid-year conversation.",
            "Ask the teacher what made the difference.",
        ),
    ),
    Section(
        "next_year",
        "Next year",
        (
            "Agree the focus for next year's goals.",
            "Explain what the rating means for the teacher's status, and their options if they "
            "disagree with it.",
        ),
    ),
)
GUIDES = {"mid_year": MID_YEAR, "end_of_year": END_OF_YEAR}

# the teacher's reflection before each conversation
REFLECTION_PROMPTS = {
    "mid_year": "Before we meet: what has gone well this year, what is hard, and what support "
    "would help?",
    "end_of_year": "Before we meet: looking back on the year, what are you proudest of, and "
    "what would you do differently?",
}


@dataclass(frozen=True)
class EmailTemplate:
    key: str
    name: str
    subject: str
    body: str
    for_risk: bool  # a template for a teacher at risk


_SIGN_OFF = "\n\nThank you,\n{{ sender }}"
EMAILS = {
    t.key: t
    for t in (
        EmailTemplate(
            "after_conversation",
            "After a conversation",
            "Our {{ conversation }}",
            "Dear {{ first_name }},\n\nThank you for our {{ conversation }}"
            "{% if held_on %} on {{ held_on }}{% endif %}. To sum up what we agreed:\n\n"
            "{{ next_steps }}\n\nYou can read the notes and acknowledge the conversation in "
            "District PM. Acknowledging says the conversation took place; it does not mean you "
            "agree with everything in it." + _SIGN_OFF,
            False,
        ),
        EmailTemplate(
            "at_risk_rating",
            "Projected rating below effective",
            "Your evaluation: where things stand",
            "Dear {{ first_name }},\n\nFollowing our {{ conversation }}, I want to be clear "
            "about where your evaluation stands. From the evidence so far, the overall rating "
            "projected for {{ school_year }} is {{ projected }}.\n\n"
            "{% if reasons %}What puts it there:\n{{ reasons }}\n\n{% endif %}"
            "What we agreed to work on, and the support you will get:\n{{ next_steps }}\n\n"
            "Nothing is final until the end of the year. Please come to me with any question."
            + _SIGN_OFF,
            True,
        ),
        EmailTemplate(
            "at_risk_status",
            "Non-probationary status at risk",
            "Your evaluation and your non-probationary status",
            "Dear {{ first_name }},\n\nFollowing our {{ conversation }}: last year's rating "
            "was below effective, and the rating projected for {{ school_year }} is "
            "{{ projected }}. A second consecutive year below effective would end your "
            "non-probationary status.\n\nWhat we agreed to work on, and the support you will "
            "get:\n{{ next_steps }}\n\nPlease come to me with any question; your HR partner can "
            "also explain your options." + _SIGN_OFF,
            True,
        ),
        EmailTemplate(
            "at_risk_nonrenewal",
            "Probationary: before the non-renewal date",
            "Your evaluation this year",
            "Dear {{ first_name }},\n\nFollowing our {{ conversation }}: as a probationary "
            "teacher, your contract for next year is decided this spring; a notice of "
            "non-renewal, if there were one, would come by {{ notice_by }}.\n\n"
            "Where your evaluation stands: {{ projected }}.\n\nWhat we agreed to work on, and "
            "the support you will get:\n{{ next_steps }}" + _SIGN_OFF,
            True,
        ),
    )
}
_ENGINE = Engine(autoescape=False)


def render_email(key: str, context: dict[str, object]) -> tuple[str, str]:
    """The subject and body of a template, filled in. A subject is one line."""
    template = EMAILS[key]
    ctx = Context(context, autoescape=False)
    subject = _ENGINE.from_string(template.subject).render(ctx)
    body = _ENGINE.from_string(template.body).render(ctx)
    return " ".join(subject.split())[:200], body.strip()
