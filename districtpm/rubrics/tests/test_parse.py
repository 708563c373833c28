"""Reading frameworks: seed 002 exactly as it is, other layouts, and every problem named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from districtpm.rubrics import documents
from districtpm.rubrics.models import Framework
from districtpm.rubrics.parse import FrameworkProblems, parse_file, parse_text

SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
SEED_002 = next(SEEDS.glob("002_*.txt"), None) if SEEDS.exists() else None
needs_seed = pytest.mark.skipif(
    SEED_002 is None, reason="the seeds folder is not beside the project"
)


@needs_seed
def test_seed_002_verbatim_gives_five_domains_and_34_whole_indicators():
    parsed = parse_file(SEED_002.read_bytes(), name=SEED_002.name)
    assert parsed.name == "Conditions for Success in Low-Performing Districts"
    assert parsed.levels == ["Developing", "Proficient", "Exemplary (Proficient +)"]
    assert [(d.name, len(d.indicators)) for d in parsed.domains] == [
        ("Culture of Performance", 6),
        ("Academic Systems", 6),
        ("Talent Management", 10),
        ("Differentiated Support and Accountability for Low-Performing Schools", 5),
        ("Board and Community Relationships", 7),
    ]
    assert parsed.indicator_count == 34
    for domain in parsed.domains:
        for indicator in domain.indicators:
            assert len(indicator.descriptors) == 3
            for text in indicator.descriptors:
                assert len(text) > 60, (indicator.name, text)
                assert "<" not in text and ">" not in text and "&" not in text
                assert text[-1] in ".!)" or text.endswith("schools"), (indicator.name, text[-40:])
    by_name = {i.name: i for d in parsed.domains for i in d.indicators}
    # A continuation row (first cell empty) ends the cut descriptor, cell by cell.
    allocation = by_name["Strategic Resource Allocation"].descriptors
    assert (
        "performance data to guide investments, but there is not a systematic way" in allocation[0]
    )
    assert allocation[0].endswith("budget and resource allocation process.")
    assert "Data-driven progress monitoring towards non-negotiable" in allocation[1]
    assert allocation[2].endswith(
        "Programs that yield greater improvements in student outcomes are prioritized."
    )
    # A continuation row that continues one column only leaves the others alone.
    turnaround = by_name["Central Leadership of School Turnaround"].descriptors
    assert "reports regularly to the superintendent" in turnaround[1]
    assert turnaround[1].index("authority and accountability") > 0
    assert "authority and accountability" not in turnaround[0] + turnaround[2]
    # Stray markup is gone, its text kept.
    assert "Prioritized Performance Management" in by_name
    assert (
        by_name["Prioritized Performance Management"].descriptors[0].startswith("Priority schools")
    )
    hiring = by_name["Prioritizing Hiring in Schools of Greatest Need"].descriptors
    assert hiring[0].endswith("may not support accelerated hiring.")


@needs_seed
def test_the_command_reads_seed_002_as_json_and_saves_nothing(db, capsys):
    call_command("rubrics", "import", str(SEED_002), "--dry-run", "--json")
    data = json.loads(capsys.readouterr().out)
    assert len(data["domains"]) == 5
    assert sum(len(d["indicators"]) for d in data["domains"]) == 34
    first = data["domains"][0]["indicators"][0]
    assert first["name"] == "District Led High Expectations"
    assert set(first["descriptors"]) == {"Developing", "Proficient", "Exemplary (Proficient +)"}
    assert Framework.objects.count() == 0
    call_command("rubrics", "import", str(SEED_002))
    assert Framework.objects.get().current.domains.count() == 5


def test_every_problem_is_named_with_line_and_column():
    text = "\n".join(
        [
            "Leadership",
            "Indicator\tLow\tHigh",
            "\tcontinues nothing",  # line 3: no indicator above
            "Team meets\tRarely\tMonthly\textra",  # line 4: too many cells
            "Plan exists\tNo plan",  # line 5: no descriptor for High
            "Other",
            "Indicator\tLow\tMiddle\tHigh",  # line 7: other levels
        ]
    )
    with pytest.raises(FrameworkProblems) as caught:
        parse_text(text)
    problems = [(p.line, p.column, p.reason) for p in caught.value.problems]
    assert (3, "A") == problems[0][:2] and "continues nothing" in problems[0][2]
    assert (4, "D") == problems[1][:2] and "4 cells" in problems[1][2]
    assert (5, "C") == problems[2][:2] and "no descriptor for High" in problems[2][2]
    assert problems[3][0] == 7 and "differ" in problems[3][2]
    assert any("“Other” has no indicators" in str(p) for p in caught.value.problems)


def test_rows_before_a_header_and_an_empty_file_are_refused():
    with pytest.raises(FrameworkProblems) as caught:
        parse_text("Domain one\nTeam meets\tRarely\tMonthly\n")
    assert "before any header row" in caught.value.problems[0].reason
    with pytest.raises(FrameworkProblems):
        parse_text("\n\n")


def test_a_csv_with_a_domain_column_reads(db):
    text = (
        "Domain,Indicator,Not yet,Partly,Fully\n"
        'Leadership,Team meets,"Never, or rarely",Some months,Every month\n'
        "Leadership,Plan exists,No,Draft,Adopted\n"
        "Data,Screening,None,Once,Three times\n"
    )
    parsed = parse_file(text.encode(), name="mtss.csv")
    assert parsed.name == "mtss"
    assert [(d.name, [i.name for i in d.indicators]) for d in parsed.domains] == [
        ("Leadership", ["Team meets", "Plan exists"]),
        ("Data", ["Screening"]),
    ]
    assert parsed.domains[0].indicators[0].descriptors[0] == "Never, or rarely"


def test_an_exported_framework_reads_back_the_same(frameworks):
    version = frameworks["district"]
    data = documents.framework_xlsx(version)
    parsed = parse_file(data, name="district.xlsx", title=version.framework.name)
    again = parse_file(data, name="district.xlsx", title=version.framework.name)
    assert parsed.as_json() == again.as_json()
    assert parsed.indicator_count == version.domains.get(order=0).indicators.count() * 5
    assert parsed.evidence[-1].startswith("Evidence is required")
    from districtpm.rubrics.presets import district_rubric

    assert parsed.as_json()["domains"] == district_rubric().as_json()["domains"]


def test_a_formula_in_a_descriptor_is_exported_as_text(frameworks):
    from io import BytesIO

    from openpyxl import load_workbook

    from districtpm.core.scoping import SYSTEM
    from districtpm.rubrics import actions
    from districtpm.rubrics.models import Indicator

    indicator = Indicator.objects.filter(domain__version=frameworks["school"]).first()
    actions.change_indicator(
        indicator,
        name='=HYPERLINK("http://x.example","y")',
        descriptors=["=1+1", "@SUM(A1)", "+x", "-y"],
        acting_user=SYSTEM,
    )
    book = load_workbook(BytesIO(documents.framework_xlsx(frameworks["school"])))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == "=1+1" for c in cells)


def test_the_command_names_the_problems_and_fails(tmp_path, db, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("Indicator\tLow\tHigh\nTeam meets\tRarely\n")
    with pytest.raises(CommandError):
        call_command("rubrics", "import", str(bad))
    assert "line 2, column C" in capsys.readouterr().err
    assert Framework.objects.count() == 0
    with pytest.raises(CommandError, match="not UTF-8"):
        (tmp_path / "latin.tsv").write_bytes(
            "Indicator\tBas\tHaut\nR\xe9union\tx\ty\n".encode("latin-1")
        )
        call_command("rubrics", "import", str(tmp_path / "latin.tsv"))
