"""Administrator pages for the catalog setup: categories, price lists (with their items)
and volume discounts. Each save goes through the app's services (validated, audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from crm.core.errors import ServiceError

from . import services
from .models import PriceList, PriceListItem, Product, ProductCategory, VolumeDiscount


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ProductCategory
        fields = ("name", "name_zh", "position")


class PriceListForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ("name", "currency", "tier", "segment", "valid_from", "valid_until", "priority", "active")
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.core.models import SavedFilter

        self.fields["segment"].queryset = SavedFilter.objects.filter(
            list_name__in=["contacts.company", "contacts.contact"]
        ).order_by("name")


class PriceListItemForm(forms.ModelForm):
    class Meta:
        model = PriceListItem
        fields = ("product", "unit_price")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("sku")


ItemFormSet = forms.inlineformset_factory(
    PriceList, PriceListItem, form=PriceListItemForm, extra=5, can_delete=True, max_num=2000
)


class VolumeDiscountForm(forms.ModelForm):
    class Meta:
        model = VolumeDiscount
        fields = ("product", "min_quantity", "discount_percent", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("sku")
        self.fields["product"].empty_label = _("Every product")


def _admin(request) -> None:
    if not request.user.is_crm_admin:
        raise PermissionDenied


SETUP = {
    "category": {
        "model": ProductCategory,
        "form": CategoryForm,
        "save": services.category_save,
        "delete": services.category_delete,
        "title": _lazy("Product categories"),
        "columns": [
            ("name", _lazy("Name (English)")),
            ("name_zh", _lazy("Name (Chinese)")),
            ("position", _lazy("Position")),
        ],
    },
    "pricelist": {
        "model": PriceList,
        "form": PriceListForm,
        "save": services.price_list_save,
        "delete": services.price_list_delete,
        "title": _lazy("Price lists"),
        "columns": [
            ("name", _lazy("Name")),
            ("currency", _lazy("Currency")),
            ("tier", _lazy("Customer tier")),
            ("segment", _lazy("Segment")),
            ("valid_from", _lazy("Valid from")),
            ("valid_until", _lazy("Valid until")),
            ("priority", _lazy("Priority")),
            ("active", _lazy("Active")),
        ],
    },
    "volumediscount": {
        "model": VolumeDiscount,
        "form": VolumeDiscountForm,
        "save": services.volume_discount_save,
        "delete": services.volume_discount_delete,
        "title": _lazy("Volume discounts"),
        "columns": [
            ("product", _lazy("Product")),
            ("min_quantity", _lazy("From quantity")),
            ("discount_percent", _lazy("Discount (%)")),
            ("active", _lazy("Active")),
        ],
    },
}


def _spec(kind: str) -> dict:
    from django.http import Http404

    if kind not in SETUP:
        raise Http404
    return SETUP[kind]


@login_required
def setup_list(request, kind: str):
    _admin(request)
    spec = _spec(kind)
    qs = spec["model"].objects.all()
    if kind == "pricelist":
        qs = qs.select_related("segment")
    if kind == "volumediscount":
        qs = qs.select_related("product")
    rows = [(obj, [getattr(obj, name) for name, _label in spec["columns"]]) for obj in qs[:1000]]
    return render(
        request,
        "products/setup_list.html",
        {"kind": kind, "title": spec["title"], "columns": [c[1] for c in spec["columns"]], "rows": rows},
    )


@login_required
def setup_edit(request, kind: str, pk: int | None = None):
    _admin(request)
    spec = _spec(kind)
    instance = get_object_or_404(spec["model"], pk=pk) if pk else None
    form = spec["form"](request.POST or None, instance=instance)
    formset = None
    if kind == "pricelist":
        formset = ItemFormSet(request.POST or None, instance=instance or PriceList(), prefix="items")
    status = 200
    if request.method == "POST":
        if request.POST.get("delete") and instance is not None:
            spec["delete"](actor=request.user, instance=instance)
            messages.success(request, _("Deleted."))
            return redirect("products:setup_list", kind=kind)
        valid = form.is_valid() and (formset is None or formset.is_valid())
        if valid:
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                if kind == "pricelist":
                    items = [
                        (f.cleaned_data["product"], f.cleaned_data["unit_price"])
                        for f in formset.forms
                        if f.cleaned_data and f.cleaned_data.get("product") and not f.cleaned_data.get("DELETE")
                    ]
                    spec["save"](actor=request.user, data=data, items=items, instance=instance)
                else:
                    spec["save"](actor=request.user, data=data, instance=instance)
            except ServiceError as exc:
                for field, errors in exc.fields.items():
                    target = field if field in form.fields else None
                    for error in errors:
                        form.add_error(target, error)
                if not exc.fields:
                    form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("products:setup_list", kind=kind)
        else:
            status = 400
    return render(
        request,
        "products/setup_form.html",
        {"kind": kind, "title": spec["title"], "form": form, "formset": formset, "object": instance},
        status=status,
    )


@login_required
def setup_home(request):
    _admin(request)
    return redirect("products:setup_list", kind="pricelist")


urlpatterns = [
    path("products/setup/", setup_home, name="setup_home"),
    path("products/setup/<slug:kind>/", setup_list, name="setup_list"),
    path("products/setup/<slug:kind>/new/", setup_edit, name="setup_add"),
    path("products/setup/<slug:kind>/<int:pk>/", setup_edit, name="setup_edit"),
]
