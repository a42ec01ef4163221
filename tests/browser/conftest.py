"""Browser tests: pytest-playwright's fixtures (`page`, `context`, `browser`) drive
Debian's Chromium (/usr/bin/chromium), never a downloaded browser, against
pytest-django's live server.

Browser tests skip, with the reason printed, only when no Chromium is found (or
LEADSITE_CHROMIUM names a file that is not there); a Chromium that is found but does
not start fails them, Playwright's error naming the executable launched. Background
tasks run in a real worker (the task_worker fixture), as `manage.py db_worker` runs
them in production.
"""

import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

BROWSER_TESTS = Path(__file__).parent
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}
# How long a Playwright call waits for an element before the test fails.
DEFAULT_TIMEOUT_MS = 15_000
# How long a test waits for what a user waits for (the worker's progress): long
# enough for a busy two-core CI machine.
USER_WAIT_MS = 120_000


def pytest_collection_modifyitems(config, items):
    """Browser tests get the `browser` marker and run last. Playwright's sync API
    leaves its event loop marked as running in the test process from the first
    browser test on, and Django refuses ORM calls beside a running loop unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, which only browser tests get (below). xdist
    hands each worker its tests in this order, so no other test runs after one."""
    browser_tests = [item for item in items if _is_browser_test(item)]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    others = [item for item in items if not _is_browser_test(item)]
    items[:] = others + browser_tests


def _is_browser_test(item) -> bool:
    return item.path.is_relative_to(BROWSER_TESTS)


# Setup, call and teardown hooks of this conftest run for the tests of this folder
# only. Set for a test's whole run (fixtures set up before an autouse fixture of this
# file, such as the live server's transactional_db, use the ORM in teardown too).
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def chromium_executable() -> str:
    """The Chromium to launch: LEADSITE_CHROMIUM when set, else Debian's, else
    `chromium` on PATH. Skips, naming what was looked for, when there is none."""
    configured = os.environ.get("LEADSITE_CHROMIUM")
    if configured:
        if not os.path.isfile(configured):
            pytest.skip(
                f"LEADSITE_CHROMIUM={configured}: no such file; point it at a "
                "Chromium executable, or unset it to use Debian's chromium package"
            )
        return configured
    found = DEBIAN_CHROMIUM if os.path.isfile(DEBIAN_CHROMIUM) else None
    found = found or shutil.which("chromium")
    if not found:
        pytest.skip(
            f"no Chromium at {DEBIAN_CHROMIUM} or on PATH: install Debian's "
            "chromium package, or set LEADSITE_CHROMIUM"
        )
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):
    """pytest-playwright launches the installed Chromium with these (its own
    options such as --headed and --slowmo still apply)."""
    if browser_name != "chromium":
        pytest.skip(
            f"only Chromium is installed for the browser tests, not {browser_name}"
        )
    return {
        **browser_type_launch_args,
        "executable_path": chromium_executable(),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open on the live server: `page.goto("/leads/")`."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture
def context(context):
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def login(page):
    """Log in through the real login form: login(username)."""

    def _login(username, password="leadsite"):
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return _login


@pytest.fixture
def screenshot(page, request):
    """screenshot(name) saves test-artifacts/<name>.png for a human to look at."""

    def _shot(name):
        save_screenshot(page, f"test-artifacts/{name}.png")

    return _shot


def save_screenshot(page, path) -> None:
    """The whole page as a PNG at `path` (its folder made first)."""
    os.makedirs(os.path.dirname(str(path)) or ".", exist_ok=True)
    try:
        page.screenshot(path=str(path), full_page=True)
    except PlaywrightError as error:
        # Chromium now and then answers a busy compositor's capture with
        # "Unable to capture screenshot": the page is fine; take it again once
        # the page is idle (any other error, or a second failure, is raised).
        if "Unable to capture screenshot" not in str(error):
            raise
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path), full_page=True)


class TaskWorker:
    """django_tasks_db's Worker, the code `manage.py db_worker` runs, in a thread
    against the live server's database: it claims each queued task and runs it.

    On PostgreSQL the worker has its own connection, as in production. SQLite's
    in-memory test database refuses a second connection's write at once ("database
    table is locked") where a file database would wait, so there the live server's
    threads, the worker and the test share the test's connection, as Django shares it
    with the live server, and take turns with a lock: a request holds it until its
    response is sent, the worker for each transaction (and each query outside one),
    the test in `quiet()` blocks. Between two transactions of a task (e.g. two
    chunks of an import) the requests get their turn, so the page shows progress."""

    def __init__(self, live_server):
        from django.db import connections

        self.httpd = live_server.thread.httpd
        self.app = self.httpd.get_app()
        self.overrides = self.httpd.connections_override
        self.shared = {
            alias: connections[alias]
            for alias in connections
            if connections[alias].vendor == "sqlite"
            and connections[alias].is_in_memory_db()
        }
        self.lock = threading.Lock() if self.shared else None
        self.holding = False  # the worker thread holds the lock
        self.stopping = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._work, name="task-worker")

    def start(self):
        if self.shared:
            for connection in self.shared.values():
                connection.inc_thread_sharing()
                connection.execute_wrappers.append(self._take_turn)
            self.httpd.connections_override = self.shared
            self.httpd.set_app(self._one_request_at_a_time)
        self.thread.start()

    def stop(self, timeout: float):
        """Stop after the task running now; fail if it does not end in `timeout`."""
        self.stopping.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            pytest.fail(f"the task worker was still running a task after {timeout} s")
        if self.shared:
            with self.lock:  # no request is running
                self.httpd.set_app(self.app)
                self.httpd.connections_override = self.overrides
                for connection in self.shared.values():
                    connection.execute_wrappers.remove(self._take_turn)
            # Stays shareable: a request thread that just ended still closes it.
        if self.error is not None:
            raise self.error

    def quiet(self):
        """A block in which the test may use the database itself."""
        return self.lock if self.lock is not None else contextlib.nullcontext()

    def _one_request_at_a_time(self, environ, start_response):
        self.lock.acquire()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _ReleasedOnClose(body, self.lock)

    def _take_turn(self, execute, sql, params, many, context):
        """Execute wrapper: the worker thread's queries run in its turns."""
        if threading.current_thread() is not self.thread:
            return execute(sql, params, many, context)
        if not self.holding:
            self.lock.acquire()
            self.holding = True
        connection = context["connection"]
        try:
            return execute(sql, params, many, context)
        finally:
            if connection.in_atomic_block:
                # Until the transaction commits (or the next query outside it).
                connection.on_commit(self._end_turn)
            elif not sql.lstrip().upper().startswith("BEGIN"):
                self._end_turn()

    def _end_turn(self):
        if self.holding:
            self.holding = False
            self.lock.release()

    def _work(self):
        from django.db import connections

        from tests.task_worker import make_worker

        for alias, connection in self.shared.items():
            connections[alias] = connection
        try:
            while not self.stopping.is_set():
                # One poll of the queue, running at most one task.
                make_worker("browser-tests", batch=True, max_tasks=1).run()
                if self.shared and not connections["default"].in_atomic_block:
                    self._end_turn()
                self.stopping.wait(0.2)
        except BaseException as error:  # reported by stop()
            self.error = error
        finally:
            if self.shared:
                self._end_turn()
            else:
                connections.close_all()


class _ReleasedOnClose:
    """A response body that gives the lock back once the server closes it."""

    def __init__(self, body, lock):
        self.body = body
        self.lock = lock
        self.released = False

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            if not self.released:
                self.released = True
                self.lock.release()


@pytest.fixture
def task_worker(live_server, transactional_db, settings):
    """Tasks go to the database queue and a TaskWorker runs them while the test
    runs; teardown waits for the task it is running, then fails the test with the
    traceback of any task that failed."""
    from django_tasks_db.models import DBTaskResult

    from tests.task_worker import DATABASE_TASKS

    settings.TASKS = DATABASE_TASKS
    worker = TaskWorker(live_server)
    worker.start()
    yield worker
    worker.stop(timeout=USER_WAIT_MS / 1000)
    failed = list(DBTaskResult.objects.failed().values_list("task_path", "traceback"))
    if failed:
        pytest.fail(
            "\n".join(f"task {path} failed:\n{trace}" for path, trace in failed),
            pytrace=False,
        )
