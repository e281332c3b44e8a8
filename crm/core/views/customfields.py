"""Administrators define custom fields for any registered record type."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.audit.services import Action, audit_record, diff, snapshot

from ..models import CustomField
from ..registry import record_types


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One choice per line, for choice and multiple-choice fields."),
    )

    class Meta:
        model = CustomField
        fields = ("content_type", "name", "label_en", "label_zh", "field_type", "required", "order")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [ContentType.objects.get_for_model(rt.model).pk for rt in record_types()]
        self.fields["content_type"].queryset = ContentType.objects.filter(pk__in=ids)
        self.fields["content_type"].label_from_instance = lambda ct: str(ct.model_class()._meta.verbose_name_plural)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices)
            self.fields["content_type"].disabled = True
            self.fields["name"].disabled = True

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not name.replace("_", "").isalnum() or not name.isascii() or name != name.lower():
            raise forms.ValidationError(_("Use lower-case letters, digits and underscores."))
        return name

    def clean(self):
        data = super().clean()
        choices = [c.strip() for c in (data.get("choices_text") or "").splitlines() if c.strip()]
        if data.get("field_type") in {CustomField.FieldType.CHOICE, CustomField.FieldType.MULTI_CHOICE} and not choices:
            self.add_error("choices_text", _("Enter at least one choice."))
        self.instance.choices = choices
        return data


def _admin_only(request):
    if not request.user.is_crm_admin:
        raise PermissionDenied


@login_required
def custom_field_list(request):
    _admin_only(request)
    fields = CustomField.objects.select_related("content_type")
    return render(request, "core/customfield_list.html", {"fields": fields})


@login_required
def custom_field_edit(request, pk=None):
    _admin_only(request)
    instance = get_object_or_404(CustomField, pk=pk) if pk else None
    before = snapshot(instance) if instance else {}
    form = CustomFieldForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        changes = (
            diff(before, snapshot(saved))
            if instance
            else [{"field": k, "old": None, "new": v} for k, v in snapshot(saved).items() if v not in (None, "", [])]
        )
        audit_record(
            action=Action.UPDATE if instance else Action.CREATE, actor=request.user, instance=saved, changes=changes
        )
        messages.success(request, _("Custom field “%(name)s” saved.") % {"name": saved.label})
        return HttpResponseRedirect(reverse("core:customfield_list"))
    return render(
        request,
        "accounts/admin_form.html",
        {
            "form": form,
            "title": _("Edit custom field") if pk else _("New custom field"),
            "back": reverse("core:customfield_list"),
        },
    )


@login_required
@require_POST
def custom_field_delete(request, pk):
    _admin_only(request)
    field = get_object_or_404(CustomField, pk=pk)
    audit_record(action=Action.DELETE, actor=request.user, instance=field)
    field.delete()
    messages.success(request, _("Custom field “%(name)s” deleted; stored values are kept.") % {"name": field.label})
    return HttpResponseRedirect(reverse("core:customfield_list"))
