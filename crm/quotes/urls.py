from django.urls import path

from . import views

app_name = "quotes"

# The generic add/edit pages are replaced by the line editor.
_generic = [p for p in views.quote_pages.urls() if p.name not in {"quote_add", "quote_edit"}]

urlpatterns = [
    path("quotes/new/", views.quote_edit, name="quote_add"),
    path("quotes/settings/", views.quote_settings, name="quote_settings"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/panel/", views.quote_panel, name="quote_panel"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/email/", views.quote_email, name="quote_email"),
    *_generic,
    path("quotes/<int:pk>/<slug:action>/", views.quote_action, name="quote_action"),
]
