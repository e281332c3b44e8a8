import pytest

from crm.contacts.models import Contact
from crm.imports.demo import seed_imports
from crm.imports.models import ImportRowError, ImportRun

pytestmark = pytest.mark.django_db


def test_demo_import_is_a_finished_run_with_refused_rows(users):
    created = seed_imports(actor=users.owner, rows=100)
    run = ImportRun.objects.get()
    assert run.status == "done" and run.encoding == "gb18030"
    assert created == run.created_count == 96 and run.failed_count == 4
    assert ImportRowError.objects.filter(run=run).count() == 4
    assert Contact.objects.filter(owner=users.owner, tags__name="导入 import").count() == 96
    assert not Contact.objects.filter(search_text="").exists()
