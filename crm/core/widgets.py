"""Form widgets shared by every app."""

from __future__ import annotations

from django import forms


class RecordPicker(forms.Widget):
    """Choose one record by typing part of its name (pinyin, phone… as the type's search
    allows) instead of scrolling a list that would hold every record of the type.

    Only the chosen id is submitted; the form field (a ModelChoiceField over the
    records the user may see) validates it, so a forged id is refused as usual."""

    template_name = "core/widgets/record_picker.html"

    def __init__(self, record_type: str, attrs=None):
        super().__init__(attrs)
        self.record_type = record_type

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value not in (None, ""):
            from .registry import record_type_for

            rt = record_type_for(self.record_type)
            if rt is not None:
                obj = rt.model._base_manager.filter(pk=value).first() if str(value).isdigit() else None
                label = str(obj) if obj is not None else ""
        context["widget"].update({"record_type": self.record_type, "label": label})
        return context
