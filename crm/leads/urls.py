from django.urls import path
from django.views.generic import RedirectView

from . import views
from .views import lead_pages

app_name = "leads"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="leads:lead_list"), name="home"),
    *lead_pages.urls(),
    path("leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("assignment/", views.rule_list, name="rule_list"),
    path("assignment/new/", views.rule_edit, name="rule_add"),
    path("assignment/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("assignment/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("forms/", views.webform_list, name="webform_list"),
    path("forms/new/", views.webform_edit, name="webform_add"),
    path("forms/<int:pk>/", views.webform_edit, name="webform_edit"),
    path("forms/<int:pk>/delete/", views.webform_delete, name="webform_delete"),
    path("f/<str:key>/", views.public_form, name="public_form"),
]
