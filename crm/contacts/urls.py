from .views import company_pages, contact_pages

app_name = "contacts"

urlpatterns = company_pages.urls() + contact_pages.urls()
