"""Background jobs: status and progress a user can watch, once-only runs, the recycle-bin
clean-up, and one job run by a real Celery worker over Redis."""

from __future__ import annotations

import contextlib
import datetime
import signal
import time
import uuid

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.jobs import Progress, job_enqueue, job_task
from crm.core.models import Job

# Task bodies for these tests. They report what they saw of their own Job row.
SEEN: dict[str, list] = {}


@job_task("test_progressing")
def progressing_job(job, progress):
    row = Job.objects.get(pk=job.pk)
    SEEN.setdefault("status_inside", []).append((row.status, row.started_at is not None))
    progress(0, total=4, message="starting")
    progress(2, message="halfway")
    row = Job.objects.get(pk=job.pk)
    SEEN.setdefault("progress_inside", []).append((row.done, row.total, row.message, row.percent))
    progress(4, message="all done")
    return {"handled": 4, "params": job.params.get("size")}


@job_task("test_failing")
def failing_job(job, progress):
    SEEN.setdefault("failing_runs", []).append(job.pk)
    progress(1, total=3)
    raise ValueError("the import file has no header row")


@pytest.fixture(autouse=True)
def _reset_seen():
    SEEN.clear()
    yield
    SEEN.clear()


def job_url(job) -> str:
    return reverse("core:job_detail", args=[job.pk])


# Status, progress and result -------------------------------------------------------


def test_job_runs_after_commit_and_records_status_progress_and_result(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = job_enqueue(kind="test_progressing", task=progressing_job, user=users.owner, params={"size": 4})
        # Queued, and nothing is sent before the transaction commits.
        assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
        assert "status_inside" not in SEEN
    assert len(callbacks) == 1

    assert SEEN["status_inside"] == [(Job.Status.RUNNING, True)]
    assert SEEN["progress_inside"] == [(2, 4, "halfway", 50)]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total, job.message) == (4, 4, "all done")
    assert job.percent == 100
    assert job.result == {"handled": 4, "params": 4}
    assert job.created_by == users.owner
    assert job.started_at is not None and job.finished_at is not None
    assert job.created_at <= job.started_at <= job.finished_at
    assert job.is_finished


def test_job_remembers_the_request_that_started_it(users, django_capture_on_commit_callbacks):
    from crm.core.context import bind_context

    with bind_context(request_id="req-job-1"), django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="test_progressing", task=progressing_job, user=users.owner)
    job.refresh_from_db()
    assert job.request_id == "req-job-1"


def test_failing_job_records_failed_and_the_message(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="test_failing", task=failing_job, user=users.owner)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message == "the import file has no header row"
    assert job.finished_at is not None
    assert job.result == {}
    assert (job.done, job.total) == (1, 3)
    assert job.percent == 33
    assert job.is_finished


def test_finished_job_is_not_run_twice(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = job_enqueue(kind="test_progressing", task=progressing_job, user=users.owner)
        failed = job_enqueue(kind="test_failing", task=failing_job, user=users.owner)
    done.refresh_from_db()
    finished_at = done.finished_at
    # A redelivered message runs the task again: it must do nothing.
    progressing_job.delay(str(done.pk))
    progressing_job(str(done.pk))
    failing_job.delay(str(failed.pk))
    assert len(SEEN["status_inside"]) == 1
    assert SEEN["failing_runs"] == [failed.pk]
    done.refresh_from_db()
    assert done.status == Job.Status.SUCCEEDED and done.finished_at == finished_at
    assert Job.objects.get(pk=failed.pk).status == Job.Status.FAILED


def test_unknown_job_id_is_ignored(db):
    progressing_job(str(uuid.uuid4()))
    assert "status_inside" not in SEEN


def test_progress_writes_at_most_every_n_items_and_always_at_the_end(users):
    job = Job.objects.create(kind="test_progressing", created_by=users.owner)
    progress = Progress(job, every=10)

    def stored():
        row = Job.objects.get(pk=job.pk)
        return row.done, row.total

    progress(0, total=25)
    assert stored() == (0, 25)
    progress(5)
    assert stored() == (0, 25)  # not yet worth a write
    assert job.done == 5  # but the in-memory copy is current
    progress(10)
    assert stored() == (10, 25)
    progress(15)
    assert stored() == (10, 25)
    progress(16, message="checking duplicates")
    assert stored() == (16, 25)
    assert Job.objects.get(pk=job.pk).message == "checking duplicates"
    progress(25)
    assert stored() == (25, 25)


def test_percent(db):
    assert Job(total=0, done=0).percent == 0
    assert Job(total=3, done=1).percent == 33
    assert Job(total=3, done=9).percent == 100
    assert Job(total=0, status=Job.Status.SUCCEEDED).percent == 100


# The job page --------------------------------------------------------------------


def test_job_page_shows_the_progress_bar(users, client_for):
    job = Job.objects.create(
        kind="test_progressing", created_by=users.owner, status=Job.Status.RUNNING, done=30, total=120, message="Busy"
    )
    response = client_for(users.owner).get(job_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="25"' in html
    assert "width: 25%" in html
    assert "Busy" in html
    # A running job asks to be polled.
    assert f'hx-get="{job_url(job)}"' in html


def test_htmx_request_gets_only_the_fragment(users, client_for):
    job = Job.objects.create(kind="test_progressing", created_by=users.owner, status=Job.Status.RUNNING, total=4)
    response = client_for(users.owner).get(job_url(job), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert "<html" not in html and "<body" not in html
    assert html.startswith('<div id="job-progress"')
    assert 'role="progressbar"' in html
    assert "hx-trigger" in html


def test_finished_job_stops_polling(users, client_for):
    job = Job.objects.create(
        kind="test_progressing",
        created_by=users.owner,
        status=Job.Status.SUCCEEDED,
        done=4,
        total=4,
        result={"purged": 3},
    )
    html = client_for(users.owner).get(job_url(job), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and "hx-get" not in html
    assert 'aria-valuenow="100"' in html
    assert "purged" in html


def test_job_as_json(users, client_for):
    job = Job.objects.create(
        kind="test_failing", created_by=users.owner, status=Job.Status.FAILED, done=1, total=3, message="bad row"
    )
    response = client_for(users.owner).get(job_url(job), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "failed", "done": 1, "total": 3, "percent": 33, "message": "bad row"}


def test_another_users_job_is_404(users, client_for):
    job = Job.objects.create(kind="test_progressing", created_by=users.owner)
    for who in ("teammate", "manager", "admin"):
        client = client_for(getattr(users, who))
        assert client.get(job_url(job)).status_code == 404, who
        assert client.get(job_url(job), HTTP_ACCEPT="application/json").status_code == 404, who
        assert client.get(job_url(job), HTTP_HX_REQUEST="true").status_code == 404, who
    assert client_for(users.owner).get(reverse("core:job_detail", args=[uuid.uuid4()])).status_code == 404


def test_job_list_shows_only_my_jobs(users, client_for):
    mine = Job.objects.create(kind="test_progressing", created_by=users.owner)
    theirs = Job.objects.create(kind="test_progressing", created_by=users.teammate)
    html = client_for(users.owner).get(reverse("core:job_list")).content.decode()
    assert job_url(mine) in html
    assert job_url(theirs) not in html


def test_job_page_needs_sign_in(users):
    job = Job.objects.create(kind="test_progressing", created_by=users.owner)
    response = Client().get(job_url(job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# Purging the recycle bin ---------------------------------------------------------


def deleted(factory, owner, days_ago: float):
    record = factory(owner=owner)
    type(record).all_objects.filter(pk=record.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days_ago), deleted_by=owner
    )
    return record


@pytest.fixture
def recycle_bin(users, settings):
    settings.RECYCLE_BIN_DAYS = 30
    return {
        "old_contact": deleted(ContactFactory, users.owner, 31),
        "old_company": deleted(CompanyFactory, users.outsider, 90),
        "recent_contact": deleted(ContactFactory, users.owner, 29),
        "live_contact": ContactFactory(owner=users.owner),
    }


def test_purge_expired_action_purges_only_old_records_and_audits(
    users, client_for, recycle_bin, django_capture_on_commit_callbacks
):
    client = client_for(users.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:recycle_bin_purge_expired"), HTTP_X_REQUEST_ID="req-purge-1")
    assert response.status_code == 302
    job = Job.objects.get(kind="recycle_bin_purge")
    assert response["Location"] == job_url(job)
    assert job.created_by == users.admin
    assert job.params["days"] == 30
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"purged": 2}
    assert job.percent == 100

    assert not Contact.all_objects.filter(pk=recycle_bin["old_contact"].pk).exists()
    assert not Company.all_objects.filter(pk=recycle_bin["old_company"].pk).exists()
    assert Contact.all_objects.filter(pk=recycle_bin["recent_contact"].pk, deleted_at__isnull=False).exists()
    assert Contact.objects.filter(pk=recycle_bin["live_contact"].pk).exists()

    purges = AuditEntry.objects.filter(action="purge")
    assert {(e.content_type.model, e.object_id) for e in purges} == {
        ("contact", str(recycle_bin["old_contact"].pk)),
        ("company", str(recycle_bin["old_company"].pk)),
    }
    for entry in purges:
        assert entry.actor is None  # the system purges, on the admin's request
        assert entry.request_id == "req-purge-1"

    page = client.get(job_url(job)).content.decode()
    assert 'aria-valuenow="100"' in page


def test_purge_expired_follows_the_setting(
    users, client_for, recycle_bin, settings, django_capture_on_commit_callbacks
):
    settings.RECYCLE_BIN_DAYS = 100
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.admin).post(reverse("core:recycle_bin_purge_expired"))
    assert Job.objects.get(kind="recycle_bin_purge").result == {"purged": 0}
    assert not AuditEntry.objects.filter(action="purge").exists()
    assert Contact.all_objects.filter(pk=recycle_bin["old_contact"].pk).exists()


@pytest.mark.parametrize("who", ["owner", "manager", "outsider"])
def test_purge_expired_is_for_admins_only(users, client_for, recycle_bin, who, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(getattr(users, who)).post(reverse("core:recycle_bin_purge_expired"))
    assert response.status_code == 403
    assert not Job.objects.exists()
    assert Contact.all_objects.filter(pk=recycle_bin["old_contact"].pk).exists()


def test_purge_expired_needs_post(users, client_for, recycle_bin):
    assert client_for(users.admin).get(reverse("core:recycle_bin_purge_expired")).status_code == 405
    assert not Job.objects.exists()


# A real worker over Redis ----------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: int, what: str):
    """Interrupt the test instead of hanging if the worker never answers."""

    def expired(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _forget_connections(app) -> None:
    """Drop the app's cached broker connections, queues and routes so new conf applies."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    app.amqp._rtable = None
    # kombu keeps producer pools per broker URL process-wide; a closed one must not be reused.
    from kombu import pools

    pools.reset()
    for name in ("queues", "router"):
        app.amqp.__dict__.pop(name, None)


@pytest.fixture
def redis_celery_app(redis_url):
    """The project's Celery app pointed at TEST_REDIS_URL, not eager, on a queue of its own."""
    from config.celery import app

    overrides = {
        "broker_url": redis_url,
        "task_always_eager": False,
        # A queue of our own, so a stray worker on the same Redis does not take the job.
        "task_default_queue": f"crm-test-{uuid.uuid4().hex}",
        "worker_hijack_root_logger": False,
        "worker_enable_remote_control": False,
        "broker_connection_retry_on_startup": False,
        "broker_connection_max_retries": 1,
        "broker_transport_options": {"socket_timeout": 5, "socket_connect_timeout": 5},
    }
    saved = {key: app.conf.get(key) for key in overrides}
    app.conf.update(overrides)
    _forget_connections(app)
    try:
        yield app
    finally:
        import redis

        queue = overrides["task_default_queue"]
        client = redis.Redis.from_url(redis_url, socket_timeout=3)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
        app.conf.update(saved)
        _forget_connections(app)


def wait_for_job(job_id, seconds: float) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        try:
            job = Job.objects.get(pk=job_id)
        except OperationalError:  # SQLite: the worker holds the write lock for a moment
            job = None
        if job is not None and job.is_finished:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job.status if job else '?'} after {seconds}s")
        time.sleep(0.1)


@pytest.fixture
def filesystem_celery_app(tmp_path):
    """The project's Celery app on the embedded mode's broker: files in a folder, no server."""
    from config.celery import app

    folders = {name: tmp_path / name for name in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    overrides = {
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(folders["out"]),
            "data_folder_out": str(folders["out"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
        },
        "task_always_eager": False,
        "task_default_queue": "crm-embedded-test",
        "worker_hijack_root_logger": False,
        "worker_enable_remote_control": False,
    }
    saved = {key: app.conf.get(key) for key in overrides}
    app.conf.update(overrides)
    _forget_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        _forget_connections(app)


@pytest.mark.django_db(transaction=True)
def test_embedded_worker_on_the_filesystem_queue_runs_the_purge_job(filesystem_celery_app, settings):
    """The embedded mode: the same task code, a real worker, and no server of any kind."""
    run_purge_job_through_a_real_worker(filesystem_celery_app, settings)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_over_redis_runs_the_purge_job(redis_celery_app, settings):
    run_purge_job_through_a_real_worker(redis_celery_app, settings)


def run_purge_job_through_a_real_worker(celery_app, settings):
    from celery.contrib.testing.worker import start_worker

    from crm.accounts.roles import ensure_builtin_roles
    from crm.core.tasks import recycle_bin_purge_job
    from crm.core.testing.users import make_standing_users

    # A transactional test starts from empty tables: the roles the users need come first.
    ensure_builtin_roles()
    users = make_standing_users()
    settings.RECYCLE_BIN_DAYS = 30
    old = deleted(ContactFactory, users.owner, 45)
    recent = deleted(ContactFactory, users.owner, 2)

    from celery.worker import state as worker_state

    handled_before = worker_state.total_count.get("crm.jobs.recycle_bin_purge", 0)
    with (
        time_limit(90, "the real worker test"),
        start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            shutdown_timeout=15,
            loglevel="WARNING",
            queues=[celery_app.conf.task_default_queue],
        ),
    ):
        job = job_enqueue(kind="recycle_bin_purge", task=recycle_bin_purge_job, user=users.admin, params={"days": 30})
        assert job.status == Job.Status.QUEUED
        # Wait on the worker's own count first, without reading the job: with the shared
        # in-memory SQLite database a read here at the moment the worker writes the job
        # makes the worker's write fail ("database table is locked"), not wait.
        deadline = time.monotonic() + 60
        while worker_state.total_count.get("crm.jobs.recycle_bin_purge", 0) == handled_before:
            assert time.monotonic() < deadline, "the worker did not run the job within 60 s"
            time.sleep(0.1)
        job = wait_for_job(job.pk, seconds=60)

    assert job.status == Job.Status.SUCCEEDED, job.message
    # The worker thread ran it, not an eager call in this thread.
    assert worker_state.total_count.get("crm.jobs.recycle_bin_purge", 0) == handled_before + 1
    assert job.result == {"purged": 1}
    assert job.started_at is not None and job.finished_at is not None
    assert not Contact.all_objects.filter(pk=old.pk).exists()
    assert Contact.all_objects.filter(pk=recent.pk).exists()
    assert AuditEntry.objects.filter(action="purge", object_id=str(old.pk)).count() == 1
