"""Bootstrap classes on form widgets, so templates render fields as they are."""

from collections.abc import Mapping

from django import forms

CHECK_LIST_TEMPLATE = "_widgets/check_list.html"


def style_fields(fields: Mapping[str, forms.Field], *, small: bool = True) -> None:
    """Bootstrap's classes on every widget (each part of a range too), put before
    any the widget has (a js- hook, say); small controls for filters and compact
    forms, full-size ones for the composer and the account form. Idempotent."""
    for field in fields.values():
        for widget in getattr(field.widget, "widgets", [field.widget]):
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                # Django puts a widget's class on each box and on the list's div too:
                # our template leaves the div without it and gives each box and its
                # label a form-check row.
                widget.template_name = CHECK_LIST_TEMPLATE
                classes = ["form-check-input"]
            elif isinstance(widget, forms.CheckboxInput):
                classes = ["form-check-input"]
            elif isinstance(widget, forms.Select):
                classes = ["form-select", "form-select-sm"][: 2 if small else 1]
            else:
                classes = ["form-control", "form-control-sm"][: 2 if small else 1]
            kept = [
                c for c in widget.attrs.get("class", "").split() if c not in classes
            ]
            widget.attrs["class"] = " ".join(classes + kept)
