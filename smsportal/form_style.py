"""Bootstrap classes on form widgets, so templates render fields as they are."""

from collections.abc import Mapping

from django import forms


def style_fields(fields: Mapping[str, forms.Field]) -> None:
    """Small Bootstrap controls: selects, inputs (each part of a range), checkboxes."""
    for field in fields.values():
        for widget in getattr(field.widget, "widgets", [field.widget]):
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = css
