"""Forms of the rubrics pages; views hand their cleaned data to actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from districtpm.org.models import School, SchoolYear
from districtpm.rubrics.models import Framework

EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
MAX_EVIDENCE_MB = 10


class DateInput(forms.DateInput):
    input_type = "date"


class ImportForm(forms.Form):
    file = forms.FileField(
        required=False,
        help_text="A TSV, CSV or text file, or an Excel workbook (.xlsx): one row per indicator, "
        "one column per level.",
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Or paste the table",
        help_text="Copied from a PDF or a spreadsheet: tab-separated columns.",
    )
    name = forms.CharField(
        required=False, max_length=200, help_text="Leave empty to take the title from the file."
    )
    kind = forms.ChoiceField(choices=Framework.Kind.choices, initial=Framework.Kind.DISTRICT)
    framework = forms.ModelChoiceField(
        queryset=Framework.objects.none(),
        required=False,
        label="As the next version of",
        help_text="Leave empty for a new framework.",
    )

    def __init__(self, *args: Any, frameworks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = frameworks

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError("Choose a file or paste the table.")
        return data


class IndicatorForm(forms.Form):
    name = forms.CharField(max_length=200)

    def __init__(self, *args: Any, levels: list, initial_texts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, level in enumerate(levels):
            self.fields[f"level_{i}"] = forms.CharField(
                label=level.name,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=initial_texts[i] if i < len(initial_texts) else "",
                max_length=4000,
            )
        self.level_count = len(levels)

    def descriptors(self) -> list[str]:
        return [self.cleaned_data[f"level_{i}"] for i in range(self.level_count)]


class AssessmentForm(forms.Form):
    framework = forms.ModelChoiceField(queryset=Framework.objects.none())
    school = forms.ModelChoiceField(
        queryset=School.objects.none(), required=False, help_text="For a school self-assessment."
    )
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.none())
    opens_on = forms.DateField(widget=DateInput)
    closes_on = forms.DateField(widget=DateInput)
    facilitator = forms.ModelChoiceField(queryset=User.objects.none())
    team = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Each member rates every indicator on their own.",
    )

    def __init__(
        self, *args: Any, frameworks: Any, schools: Any, years: Any, people: Any, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["framework"].queryset = frameworks
        self.fields["school"].queryset = schools
        self.fields["school_year"].queryset = years
        self.fields["facilitator"].queryset = people
        self.fields["team"].queryset = people
        self.fields["facilitator"].label_from_instance = self.fields["team"].label_from_instance = (
            lambda u: u.get_full_name() or u.username
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        framework, school = data.get("framework"), data.get("school")
        if framework and framework.kind == Framework.Kind.SCHOOL and not school:
            self.add_error("school", "Choose the school this self-assessment is of.")
        if framework and framework.kind == Framework.Kind.DISTRICT and school:
            self.add_error(
                "school", "A district rubric rates the district: leave the school empty."
            )
        if framework and framework.current is None:
            self.add_error("framework", "This framework has no content yet.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept in the audit log."
    )


def check_evidence_file(upload: Any) -> str | None:
    """The problem with an uploaded evidence file, or None: size and type are limited."""
    if upload is None:
        return None
    name = str(upload.name or "").lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        return f"{upload.name}: evidence files may be {', '.join(sorted(EVIDENCE_TYPES))}."
    if upload.size > MAX_EVIDENCE_MB * 1024 * 1024:
        return f"{upload.name}: an evidence file may be at most {MAX_EVIDENCE_MB} MB."
    return None
