"""Deal pages: the generic list/detail/edit, the detail page's stage and contact
panels, and the stale deals list. The board is in board.py, pipeline setup in setup.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError
from crm.core.pagination import paginate, parse_int
from crm.core.views.generic import RecordPages, is_htmx
from crm.core.visibility import can_access, get_visible_or_404

from . import selectors, services
from .filtersets import DealFilterSet
from .forms import DealContactForm, DealForm, MoveForm
from .models import Deal, DealContact, DealContactRole
from .tables import DealTable

deal_pages = RecordPages(
    model=Deal,
    filterset=DealFilterSet,
    table=DealTable,
    form=DealForm,
    create=services.deal_create,
    update=services.deal_update,
    delete=services.deal_delete,
    detail_fields=[
        "name",
        "company",
        "pipeline",
        "stage",
        "status",
        "amount",
        "currency",
        "expected_close_date",
        "next_step",
        "next_step_date",
        "source",
        "products_interest",
        "close_reason",
        "closed_at",
        "stage_changed_at",
        "last_activity_at",
        "owner",
        "created_at",
        "updated_at",
    ],
    detail_template="deals/deal_detail.html",
)


def _require(request, action: str) -> None:
    if not request.user.has_perm(f"deals.{action}_deal"):
        raise PermissionDenied


def _deal(request, pk: int) -> Deal:
    _require(request, "view")
    return get_visible_or_404(request.user, Deal.objects.select_related("pipeline", "stage"), pk=pk)


def _can_change(request, deal: Deal) -> bool:
    return request.user.has_perm("deals.change_deal") and can_access(request.user, deal, "write")


# Stage history and the move control -----------------------------------------------
def _stages_panel(request, deal: Deal, form=None, status: int = 200):
    history = selectors.deal_stage_history(deal)
    context = {
        "deal": deal,
        "history": history,
        "move_form": form or MoveForm(deal=deal),
        "can_change": _can_change(request, deal),
    }
    return render(request, "deals/_stages_panel.html", context, status=status)


@login_required
def deal_stages(request, pk: int):
    """The detail page's stage panel; a POST moves the deal (the same service as the
    board and the API)."""
    deal = _deal(request, pk)
    if request.method != "POST":
        return _stages_panel(request, deal)
    if not _can_change(request, deal):
        raise PermissionDenied
    form = MoveForm(request.POST, deal=deal)
    status = 400
    if form.is_valid():
        try:
            deal = services.deal_move_stage(
                deal=deal,
                stage=form.cleaned_data["stage"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ConflictError as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except ServiceError as exc:
            for field, errors in exc.fields.items():
                target = {"close_reason": "reason"}.get(field, field)
                for error in errors:
                    form.add_error(target if target in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(name)s moved to %(stage)s.") % {"name": deal, "stage": deal.stage})
            if not is_htmx(request):
                return HttpResponseRedirect(deal.get_absolute_url())
            response = _stages_panel(request, Deal.objects.select_related("pipeline", "stage").get(pk=deal.pk))
            response["HX-Refresh"] = "true"  # the fields above show the new stage and status
            return response
    if not is_htmx(request):
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(deal.get_absolute_url())
    # HTMX swaps only 2xx answers: the form comes back with its errors in place.
    return _stages_panel(request, deal, form=form, status=200 if is_htmx(request) else status)


# Contacts with roles --------------------------------------------------------------
def _contacts_panel(request, deal: Deal, form=None, status: int = 200):
    if is_htmx(request):
        status = 200  # HTMX swaps only 2xx answers; the errors show in the panel
    links = list(
        DealContact.objects.filter(deal=deal, contact__deleted_at__isnull=True)
        .select_related("contact")
        .order_by("contact__name", "pk")
    )
    context = {
        "deal": deal,
        "links": links,
        "roles": DealContactRole.choices,
        "form": form or DealContactForm(user=request.user),
        "can_change": _can_change(request, deal),
    }
    return render(request, "deals/_contacts_panel.html", context, status=status)


def _contact_error(request, deal, exc: ServiceError, form=None):
    text = " ".join(str(e) for errors in exc.fields.values() for e in errors) or str(exc.message)
    if form is not None:
        form.add_error(None, text)
    else:
        messages.error(request, text)
    return _contacts_panel(request, deal, form=form, status=exc.status)


@login_required
def deal_contacts(request, pk: int):
    deal = _deal(request, pk)
    if request.method != "POST":
        return _contacts_panel(request, deal)
    if not _can_change(request, deal):
        raise PermissionDenied
    form = DealContactForm(request.POST, user=request.user)
    if not form.is_valid():
        return _contacts_panel(request, deal, form=form, status=400)
    try:
        services.deal_contact_add(
            deal=deal, contact=form.cleaned_data["contact"], role=form.cleaned_data["role"], actor=request.user
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        return _contact_error(request, deal, exc, form)
    if not is_htmx(request):
        return HttpResponseRedirect(deal.get_absolute_url())
    return _contacts_panel(request, deal)


@login_required
@require_POST
def deal_contact_change(request, pk: int, link_pk: int):
    """Change a contact's role on the deal, or take the contact off it (action=remove)."""
    deal = _deal(request, pk)
    if not _can_change(request, deal):
        raise PermissionDenied
    link = DealContact.objects.filter(pk=link_pk, deal=deal).select_related("deal").first()
    if link is None:
        from django.http import Http404

        raise Http404
    try:
        if request.POST.get("action") == "remove":
            services.deal_contact_remove(link=link, actor=request.user)
        else:
            services.deal_contact_set_role(link=link, role=request.POST.get("role", ""), actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        return _contact_error(request, deal, exc)
    if not is_htmx(request):
        return HttpResponseRedirect(deal.get_absolute_url())
    return _contacts_panel(request, deal)


# Stale deals ----------------------------------------------------------------------
@login_required
def stale_deals(request):
    """My stale deals, and for a manager those of the teams below: the deals to chase."""
    _require(request, "view")
    qs = selectors.deals_stale_for(request.user)
    mine_only = request.GET.get("mine") == "1"
    if mine_only:
        qs = qs.filter(owner=request.user)
    page = paginate(qs, page=request.GET.get("page"), per_page=parse_int(request.GET.get("per_page"), 50))
    days = selectors.pipeline_stale_days()
    rows = [
        {"deal": deal, "reason": selectors.deal_stale_reason(deal, stale_days=days.get(deal.pipeline_id, 14))}
        for deal in page.object_list
    ]
    return render(request, "deals/stale_list.html", {"page": page, "rows": rows, "mine_only": mine_only})
