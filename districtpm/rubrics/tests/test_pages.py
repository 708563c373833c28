"""The pages people use: importing with a preview, rating through the form (evidence files
limited by size and type), and the escaping of what members type."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districtpm.rubrics.models import Framework, Indicator, Rating
from districtpm.rubrics.tests.test_parse import SEED_002, needs_seed


@needs_seed
def test_importing_shows_a_preview_and_saves_only_when_confirmed(world, login):
    client = login(world.users["pm"])
    upload = SimpleUploadedFile(SEED_002.name, SEED_002.read_bytes(), content_type="text/plain")
    page = client.post(reverse("rubrics:import"), {"file": upload, "kind": "district"})
    text = page.content.decode()
    assert "5 domains, 34 indicators" in text and "Save this framework" in text
    assert Framework.objects.count() == 0
    token = text.split('name="confirm" value="')[1].split('"')[0]
    done = client.post(reverse("rubrics:import"), {"confirm": token})
    framework = Framework.objects.get()
    assert done.status_code == 302 and done.url == reverse("rubrics:framework", args=[framework.pk])
    assert Indicator.objects.filter(domain__version__framework=framework).count() == 34
    # The same preview cannot be saved twice.
    client.post(reverse("rubrics:import"), {"confirm": token})
    assert Framework.objects.count() == 1


def test_pasted_text_with_problems_lists_each_and_saves_nothing(world, login):
    client = login(world.users["pm"])
    text = "Leadership\nIndicator\tLow\tHigh\nTeam meets\tRarely\nPlan\tNo\tYes\tMaybe\n"
    page = client.post(reverse("rubrics:import"), {"text": text, "kind": "school"}).content.decode()
    assert "2 problems to fix" in page
    assert "line 3, column C" in page and "line 4, column D" in page
    assert Framework.objects.count() == 0
    assert login(world.users["principal_a"]).get(reverse("rubrics:import")).status_code == 403


def test_rating_through_the_form_limits_evidence_files(world, login, school_assessment):
    client = login(world.users["teacher_a"])
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    level = school_assessment.version.levels.get(order=3)
    url = reverse("rubrics:rate", args=[school_assessment.pk])
    bad = SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/octet-stream")
    client.post(url, {f"level_{first.pk}": level.pk, f"file_{first.pk}": bad}, follow=True)
    assert not Rating.objects.exists()
    note = '<script>alert("x")</script>'
    good = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    response = client.post(
        url,
        {f"level_{first.pk}": level.pk, f"file_{first.pk}": good, f"note_{first.pk}": note},
        follow=True,
    )
    rating = Rating.objects.get()
    assert rating.file_name == "minutes.pdf" and rating.note == note
    page = response.content.decode()
    assert "saved as a draft" in page
    assert note not in page and "&lt;script&gt;" in page


def test_the_weak_threshold_is_set_by_the_pm_office_and_audited(world, login, frameworks):
    from districtpm.audit.models import AuditEntry

    framework = frameworks["school"].framework
    url = reverse("rubrics:framework_weak", args=[framework.pk])
    assert login(world.users["principal_a"]).post(url, {"weak_through": "1"}).status_code == 403
    client = login(world.users["pm"])
    client.post(url, {"weak_through": "3"})  # the top level is never weak
    framework.refresh_from_db()
    assert framework.weak_through == 0
    client.post(url, {"weak_through": "1"})
    framework.refresh_from_db()
    assert framework.weak_through == 1
    entry = AuditEntry.objects.get(action="rubrics.framework.weak")
    assert entry.before == {"weak_through": 0} and entry.after == {"weak_through": 1}
