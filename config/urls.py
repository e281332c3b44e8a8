from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from crm.accounts.views import set_language
from crm.core.views.shell import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", include("crm.core.api.urls")),
    path("accounts/", include("crm.accounts.urls")),
    path("audit/", include("crm.audit.urls")),
    path("customers/", include("crm.contacts.urls")),
    path("pipeline/", include("crm.deals.urls")),
    path("leads/", include("crm.leads.urls")),
    path("forecasts/", include("crm.forecasts.urls")),
    path("activities/", include("crm.activities.urls")),
    path("emails/", include("crm.emails.urls")),
    path("catalog/", include("crm.products.urls")),
    path("sales/", include("crm.quotes.urls")),
    path("orders/", include("crm.orders.urls")),
    path("imports/", include("crm.imports.urls")),
    path("duplicates/", include("crm.duplicates.urls")),
    path("", include("crm.agenda.urls")),
    path("notifications/", include("crm.notifications.urls")),
    path("", include("crm.core.urls")),
]

handler400 = "crm.core.views.errors.bad_request"
handler403 = "crm.core.views.errors.permission_denied"
handler404 = "crm.core.views.errors.page_not_found"
handler500 = "crm.core.views.errors.server_error"
