from __future__ import annotations

from typing import Any

from django import forms

from peercircle.relationships.agreements.services import MAX_SECTION
from peercircle.relationships.agreements.texts import SECTIONS
from peercircle.relationships.forms import VersionField
from peercircle.web.forms import AccessibleForm


class SectionsForm(AccessibleForm):
    """One text box per section of the agreement, plus the version it was based on."""

    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.key] = forms.CharField(
                label=section.title,
                help_text=section.hint,
                required=False,
                max_length=MAX_SECTION,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def sections(self) -> dict[str, str]:
        return {s.key: self.cleaned_data.get(s.key, "") for s in SECTIONS}


class AcceptForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
