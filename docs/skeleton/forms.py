"""The form for recording a visit. The view hands its cleaned data to actions.record_visit."""

from __future__ import annotations

from typing import Any

from django import forms

from districtpm.org.models import School


class DateInput(forms.DateInput):
    input_type = "date"


class VisitForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none())
    visited_on = forms.DateField(label="Date of the visit", widget=DateInput)
    focus = forms.CharField(max_length=200, help_text="What the visit looked at.")

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the schools the user may record visits for can be chosen.
        self.fields["school"].queryset = schools
