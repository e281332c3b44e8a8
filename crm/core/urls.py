from django.urls import path

from .views import customfields, shell

app_name = "core"

urlpatterns = [
    path("", shell.dashboard, name="dashboard"),
    path("search/", shell.search, name="search"),
    path("lookup/", shell.record_lookup, name="record_lookup"),
    path("recycle-bin/", shell.recycle_bin, name="recycle_bin"),
    path("recycle-bin/purge-expired/", shell.recycle_bin_purge_expired, name="recycle_bin_purge_expired"),
    path("recycle-bin/<str:label>/<int:pk>/restore/", shell.recycle_bin_restore, name="recycle_bin_restore"),
    path("recycle-bin/<str:label>/<int:pk>/purge/", shell.recycle_bin_purge, name="recycle_bin_purge"),
    path("jobs/", shell.job_list, name="job_list"),
    path("jobs/<uuid:pk>/", shell.job_detail, name="job_detail"),
    path("jobs/<uuid:pk>/download/", shell.job_download, name="job_download"),
    path("saved-filters/", shell.saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<int:pk>/delete/", shell.saved_filter_delete, name="saved_filter_delete"),
    path("saved-filters/<int:pk>/freeze/", shell.saved_filter_freeze, name="saved_filter_freeze"),
    path("custom-fields/", customfields.custom_field_list, name="customfield_list"),
    path("custom-fields/new/", customfields.custom_field_edit, name="customfield_add"),
    path("custom-fields/<int:pk>/", customfields.custom_field_edit, name="customfield_edit"),
    path("custom-fields/<int:pk>/delete/", customfields.custom_field_delete, name="customfield_delete"),
]
