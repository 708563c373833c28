"""Forms for editing the organisation. Views hand cleaned data to org.actions."""

from __future__ import annotations

from django import forms

from districtpm.core import intake
from districtpm.org.models import (
    CalendarEvent,
    Designation,
    Network,
    Position,
    School,
    SchoolYear,
    Staff,
)


class DateInput(forms.DateInput):
    input_type = "date"


class SchoolForm(forms.ModelForm):
    class Meta:
        model = School
        fields = [
            "code",
            "name",
            "level",
            "lowest_grade",
            "highest_grade",
            "network",
            "address",
            "active",
        ]


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = ["code", "name"]


class SchoolYearForm(forms.ModelForm):
    class Meta:
        model = SchoolYear
        fields = ["name", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        parts = name.split("-")
        if (
            len(parts) != 2
            or not all(p.isdigit() and len(p) == 4 for p in parts)
            or int(parts[1]) != int(parts[0]) + 1
        ):
            raise forms.ValidationError("Write the year as two consecutive years, like 2026-2027.")
        return name


class CalendarEventForm(forms.ModelForm):
    class Meta:
        model = CalendarEvent
        fields = ["kind", "name", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, school_year: SchoolYear, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.school_year = school_year

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start_date") and not data.get("end_date"):
            data["end_date"] = data["start_date"]
        return data


class StaffForm(forms.ModelForm):
    class Meta:
        model = Staff
        fields = [
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "position",
            "division",
            "hire_date",
            "probationary",
            "active",
        ]
        widgets = {"hire_date": DateInput()}


class DesignationForm(forms.Form):
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.none())
    kind = forms.ChoiceField(choices=Designation.Kind.choices)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, school_years, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_year"].queryset = school_years


class ImportForm(forms.Form):
    KINDS = [
        ("oneroster", "OneRoster 1.1 CSV bundle (.zip with orgs.csv and users.csv)"),
        ("schools", "Schools CSV (code, name, level, lowest_grade, highest_grade, network_code…)"),
        ("staff", "Staff CSV (employee_id, first_name, last_name, email, position, school_codes)"),
    ]
    kind = forms.ChoiceField(
        choices=KINDS, widget=forms.RadioSelect, label="What are you importing?"
    )
    file = forms.FileField(help_text="Nothing is changed unless every row is valid.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            intake.check_size(upload.size, name=upload.name)
        except intake.InputRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return upload


class AssignmentForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none())
    position = forms.ModelChoiceField(queryset=Position.objects.all())
    fte = forms.DecimalField(label="FTE", min_value=0.05, max_value=1, decimal_places=2, initial=1)

    def __init__(self, *args, schools, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
