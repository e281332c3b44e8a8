from django import forms

from crm.core.forms import RecordForm
from crm.core.visibility import visible_to
from crm.core.widgets import RecordPicker

from .models import Activity

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PICKERS = {
    "company": "contacts.company",
    "contact": "contacts.contact",
    "deal": "deals.deal",
    "lead": "leads.lead",
}


class ActivityForm(RecordForm):
    class Meta:
        model = Activity
        fields = Activity.EDITABLE_FIELDS
        widgets = {
            "body": forms.Textarea(attrs={"rows": 4}),
            "occurred_at": DATETIME_INPUT,
            "due_at": DATETIME_INPUT,
            "end_at": DATETIME_INPUT,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in PICKERS.items():
            field = self.fields[name]
            field.queryset = visible_to(self.user, field.queryset.model)
            field.widget = RecordPicker(label)
        self.fields["duration_minutes"].widget.attrs.update({"min": "0", "max": "1440", "inputmode": "numeric"})
