from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("upload/", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/start/", views.import_start, name="import_start"),
    path("<int:pk>/undo/", views.import_undo, name="import_undo"),
    path("<int:pk>/errors/", views.import_errors, name="import_errors"),
]
