"""Student data from a OneRoster 1.1 bundle: students, enrollments and assessment results."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from districtpm.analytics import store
from districtpm.analytics.importer import ImportFailed
from districtpm.analytics.oneroster import import_bundle

RULES = Path(__file__).resolve().parents[1] / "rules" / "oneroster-line-items.yaml"

FILES = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "d1,active,,District,district,D,\ns1,active,,Elm Elementary,school,201,d1\n",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n"
    "y26,active,,2025-26,schoolYear,2025-08-18,2026-05-29,,2026\n"
    "t1,active,,Fall,term,2025-08-18,2025-12-19,y26,2026\n",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
    "st1,active,,true,s1,student,a,,A,One,,S1,,,,,03,\n"
    "st2,active,,true,s1,student,b,,B,Two,,S2,,,,,04,\n"
    "t9,active,,true,s1,teacher,t,,T,Nine,,T9,,,,,,\n",
    "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity\n"
    "st1,active,,2017-03-01,female,false,false,false,false,true,false,false\n"
    "st2,active,,2016-05-02,male,false,true,true,false,false,false,false\n",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n"
    "e1,active,,c1,s1,st1,student,false,2025-08-18,\n"
    "e2,active,,c1,s1,st2,student,false,2025-08-18,\n"
    "e3,active,,c1,s1,t9,teacher,true,2025-08-18,\n",
    "lineItems.csv": "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax\n"
    "li1,active,,ELA Fall Interim,,2025-09-15,2025-09-30,c1,cat,t1,0,1000\n"
    "li2,active,,Math Fall Interim,,2025-09-15,2025-09-30,c1,cat,t1,0,1000\n"
    "li3,active,,Spelling homework,,2025-09-15,2025-09-30,c1,cat,t1,0,10\n",
    "results.csv": "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment\n"
    "r1,active,,li1,st1,fully graded,760,2025-09-20,\n"
    "r2,active,,li2,st1,fully graded,690,2025-09-20,\n"
    "r3,active,,li1,st2,fully graded,805,2025-09-20,\n"
    "r4,active,,li3,st2,fully graded,9,2025-09-20,\n",
}


def bundle(**changes: str) -> dict[str, bytes]:
    return {k: v.encode() for k, v in {**FILES, **changes}.items()}


def test_bundle_becomes_students_enrollments_and_results(tmp_path):
    db = tmp_path / "a.duckdb"
    result = import_bundle(bundle(), RULES, store_path=db)
    assert result.rows == {"student_years": 2, "enrollments": 2, "assessments": 3}
    with store.connect(db) as con:
        years = con.execute(
            "SELECT student_id, school_year, school_code, grade, race, gender, "
            "econ_disadv FROM student_years ORDER BY 1"
        ).fetchall()
        tests = con.execute(
            "SELECT student_id, subject, test, test_window, scale_score, "
            "performance_level FROM assessments ORDER BY 1, 2"
        ).fetchall()
    assert years == [
        ("st1", "2025-2026", "201", "3", "White", "F", None),
        ("st2", "2025-2026", "201", "4", "Multiracial", "M", None),
    ]
    assert tests == [
        ("st1", "ela", "interim", "fall", 760.0, 3),
        ("st1", "math", "interim", "fall", 690.0, 1),
        ("st2", "ela", "interim", "fall", 805.0, 4),
    ]
    # importing it again changes nothing
    import_bundle(bundle(), RULES, store_path=db)
    with store.connect(db) as con:
        assert con.execute("SELECT count(*) FROM assessments").fetchone()[0] == 3


def test_bad_bundle_names_every_bad_row_and_writes_nothing(tmp_path):
    db = tmp_path / "a.duckdb"
    bad_results = (
        FILES["results.csv"] + "r5,active,,li1,st7,fully graded,700,,\n"
        "r6,active,,li2,st2,fully graded,high,,\n"
    )
    bad_enrollments = FILES["enrollments.csv"] + "e4,active,,c1,s9,st2,student,false,2025-08-18,\n"
    with pytest.raises(ImportFailed) as failure:
        import_bundle(
            bundle(**{"results.csv": bad_results, "enrollments.csv": bad_enrollments}),
            RULES,
            store_path=db,
        )
    found = {(e.file, e.line, e.column) for e in failure.value.result.errors}
    assert found == {
        ("results.csv", 6, "studentSourcedId"),
        ("results.csv", 7, "score"),
        ("enrollments.csv", 5, "schoolSourcedId"),
    }
    with store.connect(db) as con:
        assert con.execute("SELECT count(*) FROM student_years").fetchone()[0] == 0


def test_missing_file_is_reported(tmp_path):
    files = bundle()
    del files["results.csv"]
    with pytest.raises(ImportFailed) as failure:
        import_bundle(files, RULES, store_path=tmp_path / "a.duckdb")
    assert str(failure.value.result.errors[0]) == (
        "results.csv, line 0, column -: file is missing from the bundle"
    )


def test_command_line(tmp_path, settings, capsys):
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text)
    settings.ANALYTICS_PATH = tmp_path / "a.duckdb"
    call_command("data", "oneroster", str(folder), "--rules", str(RULES), "--no-recompute")
    assert "3 rows into assessments" in capsys.readouterr().out
