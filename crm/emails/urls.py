from django.urls import path

from . import views

app_name = "emails"
urlpatterns = [
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_edit, name="template_add"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("compose/", views.compose, name="compose"),
    path("logging-address/", views.logging_address, name="logging_address"),
    path("<int:pk>/", views.email_detail, name="email_detail"),
]
