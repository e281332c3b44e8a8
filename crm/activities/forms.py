from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import RecordForm
from crm.core.visibility import visible_to
from crm.core.widgets import RecordMultiPicker, RecordPicker

from .models import Activity, ActivityKind, Priority

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PICKERS = {
    "company": "contacts.company",
    "contact": "contacts.contact",
    "deal": "deals.deal",
    "lead": "leads.lead",
}
T, C, M = ActivityKind.TASK, ActivityKind.CALL, ActivityKind.MEETING
LOGGED = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.NOTE, ActivityKind.EMAIL)
# The fields a kind of activity has (the others are hidden while that kind is chosen;
# the services clear them anyway). Fields not listed belong to every kind.
SHOWN_FOR = {
    "occurred_at": LOGGED,
    "due_at": (T,),
    "priority": (T,),
    "remind_minutes_before": (T, M),
    "direction": (C,),
    "duration_minutes": (C,),
    "outcome": (C,),
    "end_at": (M,),
    "place": (M,),
    "attendee_users": (M,),
    "attendee_contacts": (M,),
    "next_step_subject": LOGGED,
    "next_step_due": LOGGED,
}
REMINDER_CHOICES = [
    ("", _("No reminder")),
    ("0", _("At the time")),
    ("5", _("5 minutes before")),
    ("15", _("15 minutes before")),
    ("30", _("30 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
]


def _show_when(field, kinds) -> None:
    field.widget.attrs["data-show-when"] = "kind=" + ",".join(str(k) for k in kinds)


class ActivityForm(RecordForm):
    next_step_subject = forms.CharField(
        label=_("Next step"),
        max_length=200,
        required=False,
        help_text=_("Creates a task on the same records (and sets the deal's next step)."),
    )
    next_step_due = forms.DateTimeField(label=_("Next step due"), required=False, widget=DATETIME_INPUT)

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
        if "remind_minutes_before" in self.fields:
            current = self.initial.get("remind_minutes_before", getattr(self.instance, "remind_minutes_before", None))
            choices = list(REMINDER_CHOICES)
            if current not in (None, "") and str(current) not in {value for value, _label in choices}:
                choices.append((str(current), _("%(minutes)s minutes before") % {"minutes": current}))
            self.fields["remind_minutes_before"] = forms.TypedChoiceField(
                label=_("Reminder"),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
            )
        if "attendee_contacts" in self.fields:
            field = self.fields["attendee_contacts"]
            field.queryset = visible_to(self.user, field.queryset.model)
            # Typed and picked, not a list of every visible contact.
            field.widget = RecordMultiPicker("contacts.contact")
        if "attendee_users" in self.fields:
            self.fields["attendee_users"].queryset = (
                self.fields["attendee_users"].queryset.filter(is_active=True).order_by("username")
            )
        if self.instance.pk:
            # The next step is set when logging; later it is a task of its own.
            del self.fields["next_step_subject"], self.fields["next_step_due"]
        self.fields["priority"].initial = self.fields["priority"].initial or Priority.NORMAL
        for name, kinds in SHOWN_FOR.items():
            if name in self.fields:
                _show_when(self.fields[name], kinds)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_step_due") and not cleaned.get("next_step_subject"):
            self.add_error("next_step_subject", _("Say what the next step is."))
        return cleaned

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        subject = (self.cleaned_data.get("next_step_subject") or "").strip()
        if subject and self.cleaned_data.get("kind") != ActivityKind.TASK:
            kwargs["next_step"] = {"subject": subject, "due_at": self.cleaned_data.get("next_step_due")}
        return kwargs

    def add_service_error(self, exc) -> None:
        # The next step's errors belong to its fields on this form.
        fields = dict(exc.fields)
        for key, target in (("next_step.subject", "next_step_subject"), ("next_step.due_at", "next_step_due")):
            for message in fields.pop(key, []):
                if target in self.fields:
                    self.add_error(target, message)
        exc.fields = fields
        if fields or not self.errors:
            super().add_service_error(exc)


class CompleteTaskForm(forms.Form):
    """Marking a task done, optionally with the follow-up task."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    follow_up_subject = forms.CharField(label=_("Follow-up task"), max_length=200, required=False)
    follow_up_due = forms.DateTimeField(label=_("Follow-up due"), required=False, widget=DATETIME_INPUT)
    follow_up_priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL, required=False
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("follow_up_due") and not (cleaned.get("follow_up_subject") or "").strip():
            self.add_error("follow_up_subject", _("Say what the follow-up task is."))
        return cleaned

    def follow_up(self) -> dict | None:
        subject = (self.cleaned_data.get("follow_up_subject") or "").strip()
        if not subject:
            return None
        return {
            "subject": subject,
            "due_at": self.cleaned_data.get("follow_up_due"),
            "priority": self.cleaned_data.get("follow_up_priority") or Priority.NORMAL,
        }
