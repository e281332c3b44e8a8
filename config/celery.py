"""The Celery application.

With REDIS_URL set, Redis is the broker (production). Without it the broker is
kombu's filesystem transport under var/, so the embedded mode runs a real worker and
scheduler with no server of any kind, executing exactly the same task code.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
