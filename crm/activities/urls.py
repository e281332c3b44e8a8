from .views import activity_pages

app_name = "activities"
urlpatterns = activity_pages.urls()
