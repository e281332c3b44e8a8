from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import RecordForm
from crm.core.visibility import visible_to
from crm.core.widgets import RecordPicker

from .models import Deal, DealContactRole, Pipeline, Stage, StageKind

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def stage_label(stage: Stage) -> str:
    return f"{stage.pipeline} · {stage}"


class DealForm(RecordForm):
    class Meta:
        model = Deal
        fields = (*Deal.EDITABLE_FIELDS, "close_reason")
        widgets = {
            "expected_close_date": DATE_INPUT,
            "next_step_date": DATE_INPUT,
            "products_interest": forms.Textarea(attrs={"rows": 2}),
            "close_reason": forms.Textarea(attrs={"rows": 2}),
            "currency": forms.TextInput(attrs={"maxlength": 3, "autocapitalize": "characters", "size": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.contacts.models import Company

        self.fields["company"].queryset = visible_to(self.user, Company).order_by("name")
        self.fields["company"].widget = RecordPicker("contacts.company")
        pipelines = Pipeline.objects.filter(active=True)
        if self.instance.pk:
            pipelines = Pipeline.objects.filter(active=True) | Pipeline.objects.filter(pk=self.instance.pipeline_id)
        self.fields["pipeline"].queryset = pipelines.order_by("position", "id")
        self.fields["pipeline"].required = False
        self.fields["pipeline"].help_text = _("Empty: the default pipeline.")
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
        self.fields["stage"].label_from_instance = stage_label
        self.fields["stage"].required = False
        self.fields["stage"].help_text = _("Empty: the pipeline's first stage. A won or lost stage needs the reason.")
        self.fields["close_reason"].help_text = _("Required when the deal is won or lost.")
        self.fields["amount"].widget.attrs.update({"min": "0", "step": "0.01", "inputmode": "decimal"})

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        data = kwargs["data"]
        for key in ("pipeline", "stage"):
            if data.get(key) is None:
                data.pop(key, None)
        if self.instance.pk is None and not (data.get("stage") and data["stage"].kind != StageKind.OPEN):
            data.pop("close_reason", None)
        return kwargs


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label=_("Move to stage"))
    reason = forms.CharField(
        label=_("Win or loss reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when moving to a won or lost stage."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "id")
        self.fields["stage"].initial = deal.stage_id
        self.fields["version"].initial = deal.version


class QuickEditForm(forms.Form):
    """The fields a card edits in place."""

    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=2)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_INPUT)
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_date = forms.DateField(label=_("Next step date"), required=False, widget=DATE_INPUT)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_deal(cls, deal: Deal, data=None):
        initial = {
            name: getattr(deal, name) for name in ("amount", "expected_close_date", "next_step", "next_step_date")
        }
        initial["version"] = deal.version
        return cls(data, initial=initial, prefix=f"q{deal.pk}")


class DealContactForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=None, label=_("Contact"))
    role = forms.ChoiceField(label=_("Role"), choices=[("", "---------"), *DealContactRole.choices], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.contacts.models import Contact

        self.fields["contact"].queryset = visible_to(user, Contact).order_by("name")
        self.fields["contact"].widget = RecordPicker("contacts.contact")


class PipelineForm(forms.ModelForm):
    is_default = forms.BooleanField(
        label=_("Default pipeline"), required=False, help_text=_("New deals go here unless another is chosen.")
    )

    class Meta:
        model = Pipeline
        fields = ("name_en", "name_zh", "active", "stale_after_days")
        help_texts = {"stale_after_days": _("An open deal with no activity for this many days is flagged stale.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_default"].initial = self.instance.is_default
        if self.instance.is_default:
            self.fields["is_default"].disabled = True
            self.fields["is_default"].help_text = _("To change the default, make another pipeline the default.")


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ("name_en", "name_zh", "probability", "kind")
        help_texts = {"kind": _("Won and lost stages close a deal and need a reason.")}
