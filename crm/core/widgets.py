"""Form widgets shared by every app."""

from __future__ import annotations

from django import forms


class RecordPicker(forms.Widget):
    """Choose one record by typing part of its name (pinyin, phone… as the type's search
    allows) instead of scrolling a list that would hold every record of the type.

    Only the chosen id is submitted; the form field (a ModelChoiceField over the
    records the user may see) validates it, so a forged id is refused as usual. The
    chosen record's name is shown only when it is in the field's queryset (which
    ``PickerLabelsMixin`` hands over), so a forged id never reveals a hidden record."""

    queryset = None

    template_name = "core/widgets/record_picker.html"

    def __init__(self, record_type: str, attrs=None):
        super().__init__(attrs)
        self.record_type = record_type

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value not in (None, "") and self.queryset is not None and str(value).isdigit():
            obj = self.queryset.filter(pk=value).first()
            label = str(obj) if obj is not None else ""
        context["widget"].update({"record_type": self.record_type, "label": label})
        return context


class RecordMultiPicker(RecordPicker):
    """Choose several records by typing (meeting attendees, say): each chosen record is
    a chip holding its id; the form field (a ModelMultipleChoiceField over what the
    user may see) validates the ids, and names are shown only from that queryset."""

    allow_multiple_selected = True
    template_name = "core/widgets/record_multi_picker.html"

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # no chip at all means: none chosen

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(v.pk if hasattr(v, "pk") else v) for v in value if v not in (None, "")]

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        ids = [v for v in self.format_value(value) if str(v).isdigit()]
        chosen = []
        if ids and self.queryset is not None:
            names = {str(obj.pk): str(obj) for obj in self.queryset.filter(pk__in=ids)}
            chosen = [(pk, names[pk]) for pk in ids if pk in names]
        context["widget"].update({"record_type": self.record_type, "chosen": chosen})
        return context


class PickerLabelsMixin:
    """For forms: each RecordPicker resolves the chosen record's name through its
    field's queryset (what the user may see), set however the form built the field."""

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        if isinstance(bound.field.widget, RecordPicker):
            bound.field.widget.queryset = getattr(bound.field, "queryset", None)
        return bound
