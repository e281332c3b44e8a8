from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord


class Company(CRMRecord):
    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        permissions = [("export_company", _("Can export companies"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="company_owner_idx"),
            models.Index(fields=["name"], name="company_name_idx"),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="company_created_cover_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(CRMRecord):
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = [("export_contact", _("Can export contacts"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="contact_owner_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="contact_created_cover_idx"),
        ]

    def __str__(self) -> str:
        return self.name
