from __future__ import annotations

from django import forms


def mark_invalid_fields(form: forms.BaseForm) -> None:
    """Mark invalid fields and link their errors to the inputs, for screen readers."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            error_id = f"id_{form.add_prefix(name)}_error"
            described = widget.attrs.get("aria-describedby", "")
            widget.attrs["aria-invalid"] = "true"
            if error_id not in described:
                widget.attrs["aria-describedby"] = f"{described} {error_id}".strip()


class AccessibleForm(forms.Form):
    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid_fields(self)


class AccessibleModelForm(forms.ModelForm):  # type: ignore[type-arg]
    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid_fields(self)
