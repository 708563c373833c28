"""How long a meeting's data pack takes, on the demo district in DISTRICTPM_VAR (built
beforehand: `make bench-pack` builds the medium one in var/bench-medium).

It assembles the pack of every meeting as the performance-management office and takes the one
with the most charts, then times, with the kept chart pictures emptied first:

1. the PowerPoint pack cold: every chart drawn (the cost of the first download);
2. the PDF pack of the same meeting next (its charts are kept: drawn once per pack);
3. the PowerPoint pack again (a second download, from any worker process).

Last it prints the line

    charts=… cold_pptx_s=… pdf_after_s=… warm_pptx_s=… draw_per_chart_s=…

    DISTRICTPM_VAR=var/bench-medium .venv/bin/python -m districtpm.meetings.bench_pack
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "districtpm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User

    from districtpm.meetings import pack
    from districtpm.meetings.models import Meeting

    user = User.objects.filter(username="pm.office").first()
    meetings = list(Meeting.objects.all())
    if user is None or not meetings:
        print("No demo district here: build one first (make bench-pack does).", file=sys.stderr)
        return 2
    biggest = max((pack.assemble(m, user=user) for m in meetings), key=lambda p: len(p.charts))
    settings.CHART_CACHE_DIR = Path(tempfile.mkdtemp(prefix="districtpm-bench-charts-"))
    try:
        # the drawing engine starts once per process, before any pack: not a pack's cost
        pack._draw({"mark": "point", "data": {"values": [{"a": 1}]}})
        figures = {}
        for name, export in (
            ("cold_pptx_s", pack.to_pptx),
            ("pdf_after_s", pack.to_pdf),
            ("warm_pptx_s", pack.to_pptx),
        ):
            started = time.perf_counter()
            export(biggest)
            figures[name] = time.perf_counter() - started
            print(f"{name.removesuffix('_s').replace('_', ' ')}: {figures[name]:.2f} s")
        started = time.perf_counter()
        for chart in biggest.charts:
            pack._draw(chart.export_spec())
        per_chart = (time.perf_counter() - started) / max(1, len(biggest.charts))
    finally:
        shutil.rmtree(settings.CHART_CACHE_DIR, ignore_errors=True)
    print(
        f"charts={len(biggest.charts)} "
        + " ".join(f"{k}={v:.2f}" for k, v in figures.items())
        + f" draw_per_chart_s={per_chart:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
