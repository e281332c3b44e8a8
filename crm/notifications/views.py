"""The notification centre: your notifications, newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crm.core.errors import NotFoundError

from . import services
from .models import Notification
from .selectors import notifications_for

PAGE_SIZE = 25


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(notifications_for(user=request.user, unread=unread_only), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "notifications": page.object_list, "unread_only": unread_only},
    )


@login_required
def notification_open(request, pk: int):
    """Mark it read and go where it points (inside the CRM only)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "notifications:notification_list"
    return redirect(target)


@login_required
@require_POST
def notification_read(request, pk: int):
    try:
        services.notifications_mark_read(user=request.user, ids=[pk])
    except NotFoundError:
        raise Http404 from None
    notification = Notification.objects.get(pk=pk)
    if request.headers.get("HX-Request"):
        return render(request, "notifications/_item.html", {"n": notification, "oob_bell": True})
    return redirect("notifications:notification_list")


@login_required
@require_POST
def notification_read_all(request):
    services.notifications_mark_read(user=request.user)
    target = reverse("notifications:notification_list")
    # HTMX follows the redirect and takes the list (and the bell) from the page.
    return redirect(target + ("?unread=1" if request.GET.get("unread") == "1" else ""))
