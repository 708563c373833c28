"""The School Blueprint: written by the school's team, published by its principal only, public
with no sign-in in English and Spanish, one printed page — and a crawl of every public address
that finds no unpublished content and no value for fewer than the minimum number of students."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.improvement import blueprint as bp
from districtpm.improvement import schoolplans
from districtpm.improvement.models import FocusArea, SchoolInitiative
from districtpm.improvement.tests import values
from districtpm.metrics.models import MetricValue


def _value(m, code, v, n, *, dim="all", val="all", suppressed=False, period="2026-2027"):
    values.value(m, code, "2026-2027", v, n, dim=dim, val=val, suppressed=suppressed, period=period)


@pytest.fixture
def metrics(world):
    m = {
        "reading": values.metric("read_growth", "Reading on track", kind="leading"),
        "math": values.metric("math_growth", "Mathematics on track", kind="leading"),
        "thriving": values.metric("attend", "Attending 90% of days", kind="leading"),
        "belonging": values.metric("belong", "Students who feel they belong", kind="leading"),
    }
    _value(m["reading"], "101", 0.413, 212)  # shown: 41%
    _value(m["math"], "101", 0.777, 6)  # six students: never shown (78%)
    _value(m["thriving"], "101", None, None, suppressed=True)  # suppressed by the engine
    # Belonging: all students at 0.6361 for the whole school, and a small group at 0.9129;
    # only the all-students value is ever read for a Blueprint.
    _value(m["belonging"], "101", 0.6361, 180)
    _value(m["belonging"], "101", 0.9129, 4, dim="ell", val="yes")
    # An earlier period of the year with a value that is not the latest: not shown either.
    _value(m["reading"], "101", 0.2222, 200, period="2026-2027 fall")
    MetricValue.objects.filter(period="2026-2027 fall").update(period_order=-1)
    return m


def _plan_with_blueprint(world, school, principal, metrics, *, goals, publish):
    plan = schoolplans.start_plan(school, world.year, acting_user=principal)
    schoolplans.save_theory_of_action(
        plan,
        f"If {school.name} reads daily with every child, reading grows.",
        acting_user=principal,
    )
    area = schoolplans.save_part(FocusArea(plan=plan), {"name": "Literacy"}, acting_user=principal)
    schoolplans.save_part(
        SchoolInitiative(area=area),
        {"name": f"{school.name} reading hour", "name_es": f"Hora de lectura de {school.name}"},
        acting_user=principal,
    )
    b = schoolplans.save_blueprint(
        plan,
        goals=goals,
        goals_es=f"{goals} (en español)",
        theory_es="Si leemos cada día, la lectura crece.",
        acting_user=principal,
    )
    for area_key, metric in metrics.items():
        schoolplans.set_blueprint_measure(
            b,
            area_key,
            metric=metric,
            label=f"{metric.name}",
            label_es=f"{metric.name} (es)",
            target=0.55,
            acting_user=principal,
        )
    if publish:
        schoolplans.publish_blueprint(b, acting_user=principal)
    return b


@pytest.fixture
def published(world, metrics):
    return _plan_with_blueprint(
        world,
        world.school_a,
        world.users["principal_a"],
        metrics,
        goals="Every Aspen reader grows a year or more.",
        publish=True,
    )


@pytest.fixture
def unpublished(world, metrics):
    return _plan_with_blueprint(
        world,
        world.school_b,
        world.users["principal_b"],
        metrics,
        goals="UNPUBLISHED-BIRCH-GOAL",
        publish=False,
    )


def test_values_are_the_schools_all_students_latest_and_never_below_minimum_n(published):
    c = bp.content(published, "en")
    assert [m.area for m in c.measures] == [
        "Learning: reading",
        "Learning: mathematics",
        "Thriving",
        "Belonging",
    ]
    shown = {m.area: (m.current, m.shown) for m in c.measures}
    assert shown == {
        "Learning: reading": ("41%", True),
        "Learning: mathematics": ("Not shown, to protect students' privacy", False),
        "Thriving": ("Not shown, to protect students' privacy", False),
        "Belonging": ("64%", True),
    }


def test_only_the_principal_publishes_and_only_a_whole_blueprint(world, metrics):
    principal = world.users["principal_a"]
    plan = schoolplans.start_plan(world.school_a, world.year, acting_user=principal)
    b = schoolplans.save_blueprint(
        plan, goals="Goals", goals_es="", theory_es="", acting_user=principal
    )
    with pytest.raises(ValidationError, match="a theory of action, an initiative"):
        schoolplans.publish_blueprint(b, acting_user=principal)
    schoolplans.save_theory_of_action(plan, "If… then…", acting_user=principal)
    area = schoolplans.save_part(FocusArea(plan=plan), {"name": "A"}, acting_user=principal)
    schoolplans.save_part(SchoolInitiative(area=area), {"name": "I"}, acting_user=principal)
    for who in ["evaluator_a", "network_1", "principal_b", "pm"]:
        with pytest.raises(PermissionDenied):
            schoolplans.publish_blueprint(b, acting_user=world.users[who])
    b.refresh_from_db()
    assert b.published_at is None
    schoolplans.publish_blueprint(b, acting_user=principal)
    assert AuditEntry.objects.filter(action="improvement.blueprint.publish").count() == 1


def test_the_public_reads_a_published_blueprint_in_english_and_spanish(published):
    client = Client(HTTP_HOST="127.0.0.1")
    url = reverse("blueprints:show", args=["101", "2026-2027"])
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english
    assert "Every Aspen reader grows a year or more." in english
    assert "Leer en español" in english
    spanish = client.get(url + "?lang=es").content.decode()
    assert '<html lang="es">' in spanish
    assert "Nuestras metas" in spanish
    assert "Hora de lectura de Aspen Elementary" in spanish
    assert "Si leemos cada día" in spanish
    assert "No se muestra, para proteger la privacidad de los estudiantes" in spanish
    assert "41\u00a0%" in spanish and "41%" in english  # each language's number style


def test_the_pdf_is_one_page_in_either_language(published):
    from pypdf import PdfReader

    for lang, heading in [("en", "Our goals"), ("es", "Nuestras metas")]:
        pdf = bp.to_pdf(bp.content(published, lang))
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert heading in reader.pages[0].extract_text()
    # A long Blueprint is set smaller, still on one page.
    published.goals = "Every reader grows. " * 70
    published.plan.theory_of_action = "If we read, then we grow. " * 70
    assert len(PdfReader(io.BytesIO(bp.to_pdf(bp.content(published, "en")))).pages) == 1


def test_unpublished_and_withdrawn_blueprints_are_not_found(world, published, unpublished):
    client = Client(HTTP_HOST="127.0.0.1")
    assert client.get(reverse("blueprints:show", args=["102", "2026-2027"])).status_code == 404
    assert client.get(reverse("blueprints:pdf", args=["102", "2026-2027"])).status_code == 404
    schoolplans.unpublish_blueprint(published, acting_user=world.users["principal_a"])
    assert client.get(reverse("blueprints:show", args=["101", "2026-2027"])).status_code == 404
    assert "Aspen" not in client.get(reverse("blueprints:index")).content.decode()


def test_the_team_previews_an_unpublished_blueprint_and_outsiders_do_not(world, unpublished, login):
    url = reverse("improvement:blueprint_preview", args=[unpublished.plan_id])
    assert "UNPUBLISHED-BIRCH-GOAL" in login(world.users["principal_b"]).get(url).content.decode()
    assert login(world.users["principal_a"]).get(url).status_code == 404


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.links.append(value)


def _crawl(client: Client, start: list[str]) -> dict[str, bytes]:
    """Every address reachable from `start` without signing in, outside static files."""
    seen: dict[str, bytes] = {}
    queue = list(start)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = response.content
        if response["Content-Type"].startswith("text/html"):
            parser = _Links()
            parser.feed(response.content.decode())
            for link in parser.links:
                absolute = urljoin(url, link.replace("&amp;", "&"))
                parts = urlsplit(absolute)
                if parts.netloc or parts.path.startswith("/static/"):
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if path.startswith("/blueprints/"):
                    queue.append(path)
                else:
                    # anything else a public page links to must refuse an anonymous visitor
                    assert client.get(path).status_code in (302, 403, 404), path
    return seen


def test_no_public_page_or_pdf_holds_unpublished_content_or_a_small_number(
    world, published, unpublished
):
    from pypdf import PdfReader

    client = Client(HTTP_HOST="127.0.0.1")
    pages = _crawl(client, ["/blueprints/", "/blueprints/?lang=es"])
    pdfs = [u for u in pages if u.endswith(".pdf") or ".pdf?" in u]
    htmls = [u for u in pages if not (u.endswith(".pdf") or ".pdf?" in u)]
    assert len(pdfs) == 2 and len(htmls) >= 4, sorted(pages)
    texts = {}
    for url, body in pages.items():
        if url in pdfs:
            texts[url] = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        else:
            texts[url] = body.decode()
    forbidden = [
        "UNPUBLISHED-BIRCH-GOAL",
        "Birch",
        "78%",  # mathematics, six students
        "77.7",
        "91%",  # belonging of a group of four
        "22%",  # an earlier period's value
    ]
    for url, text in texts.items():
        for word in forbidden:
            assert word not in text, (url, word)
        # every percentage shown is one of the two values at or above the minimum n, or a goal
        shown = {re.sub(r"\s", "", p) for p in re.findall(r"\d+(?:[.,]\d+)?\s?%", text)}
        assert shown <= {"41%", "64%", "55%", "90%"}, url
    assert any("41%" in t for t in texts.values())


def test_the_compiled_spanish_catalogue_matches_its_source():
    """Every translated message of the .po is what gettext gives in Spanish: the committed .mo
    was compiled from this .po (`districtpm compilemessages` after changing it)."""
    from pathlib import Path

    from django.utils import translation

    po = Path(bp.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"
    entries = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', po.read_text(), re.M)
    pairs = [
        ("".join(re.findall(r'"(.*)"', i)), "".join(re.findall(r'"(.*)"', s))) for i, s in entries
    ]
    pairs = [(i, s) for i, s in pairs if i]
    assert len(pairs) >= 25
    with translation.override("es"):
        for english, spanish in pairs:
            assert spanish, f"untranslated: {english}"
            assert translation.gettext(english) == spanish.replace('\\"', '"')


def test_the_public_page_keeps_what_was_published_until_it_is_published_again(
    world, published, login
):
    evaluator, principal = world.users["evaluator_a"], world.users["principal_a"]
    schoolplans.save_blueprint(
        published.plan,
        goals="DRAFT-CHANGE-by-the-evaluator",
        goals_es="",
        theory_es="",
        acting_user=evaluator,
    )
    area = FocusArea.objects.get(plan=published.plan)
    schoolplans.save_part(
        SchoolInitiative(area=area), {"name": "NEW-INITIATIVE"}, acting_user=evaluator
    )
    public = Client(HTTP_HOST="127.0.0.1")
    url = reverse("blueprints:show", args=["101", "2026-2027"])
    page = public.get(url).content.decode()
    assert "Every Aspen reader grows a year or more." in page
    assert "DRAFT-CHANGE" not in page and "NEW-INITIATIVE" not in page
    preview = login(principal).get(
        reverse("improvement:blueprint_preview", args=[published.plan_id])
    )
    assert "Changed since it was published" in preview.content.decode()
    assert "DRAFT-CHANGE" in preview.content.decode()
    published.refresh_from_db()
    schoolplans.publish_blueprint(published, acting_user=principal)
    page = public.get(url).content.decode()
    assert "DRAFT-CHANGE-by-the-evaluator" in page and "NEW-INITIATIVE" in page


def test_a_gap_or_a_metric_without_school_values_is_not_a_blueprint_measure(world, published):
    from districtpm.improvement.tests import values as v

    gap = v.metric("gap_x", "A gap between two groups")
    gap.is_gap = True
    gap.save()
    district_only = v.metric("district_x", "District only")
    district_only.levels = ["district"]
    district_only.save()
    for m in [gap, district_only]:
        with pytest.raises(ValidationError, match="cannot be a Blueprint measure"):
            schoolplans.set_blueprint_measure(
                published, "reading", metric=m, label="x", acting_user=world.users["principal_a"]
            )
    assert published.measures.get(area="reading").metric_id == "read_growth"


def test_a_percentage_target_lies_between_0_and_100(world, published, login):
    client = login(world.users["principal_a"])
    data = {"goals": "Goals"}
    for area in ["reading", "math", "thriving", "belonging"]:
        data.update({f"{area}-metric": "", f"{area}-label": "", f"{area}-target": ""})
    data.update({"reading-metric": "read_growth", "reading-target": "600"})
    response = client.post(reverse("improvement:blueprint_edit", args=[published.plan_id]), data)
    assert "between 0 and 100" in response.content.decode()
    assert published.measures.get(area="reading").target == 0.55
