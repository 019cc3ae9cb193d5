"""Fixtures for the browser tests: servers, users, requests, Chromium, axe.

Run through scripts/browser, which installs what is needed, migrates a fresh
database and tells these fixtures where things are:

    MLA_BROWSER_BIN           the mla-tracker binary
    MLA_BROWSER_BACKEND       sqlite or postgres
    MLA_BROWSER_DATABASE_URL  the migrated database of the session's server
    MLA_BROWSER_PG_SERVER     PostgreSQL only: a URL on which to CREATE DATABASE
                              for the servers a test starts with its own settings
    MLA_BROWSER_WORK          a temporary folder (server logs, outboxes, SQLite files)
    MLA_BROWSER_AXE           axe.min.js
    MLA_BROWSER_CHROMIUM      the Chromium executable
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from playwright.sync_api import Browser, Page, sync_playwright


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError(f"{name} is not set: run the browser tests with scripts/browser")
    return value


BIN = _env("MLA_BROWSER_BIN")
BACKEND = _env("MLA_BROWSER_BACKEND")
DATABASE_URL = _env("MLA_BROWSER_DATABASE_URL")
PG_SERVER = os.environ.get("MLA_BROWSER_PG_SERVER", "")
WORK = Path(_env("MLA_BROWSER_WORK"))
AXE = _env("MLA_BROWSER_AXE")
CHROMIUM = _env("MLA_BROWSER_CHROMIUM")

ROLES = ("admin", "coordinator", "clerk", "analyst")
# At least 12 characters and not a common password (the service refuses those).
PASSWORD = "Correct-horse-battery-7"
# Where each role lands after signing in.
HOME = {"admin": "/requests", "coordinator": "/requests", "clerk": "/requests", "analyst": "/stats"}
# What axe checks: WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Playwright waits this long (ms) for an element or a navigation before failing.
TIMEOUT_MS = 10_000

_counter = itertools.count(1)


def cli(database_url: str, *args: str, stdin: str | None = None) -> str:
    """Runs `mla-tracker ARGS` on a database; its standard output, or a failure."""
    env = dict(os.environ, DATABASE_URL=database_url, RUST_LOG="warn")
    done = subprocess.run(
        [BIN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        pytest.fail(f"mla-tracker {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


@dataclass
class User:
    role: str
    email: str
    token: str
    password: str = PASSWORD


def add_user(database_url: str, role: str, email: str) -> User:
    """A user made with the CLI, as an administrator would: a token, then a password."""
    token = cli(database_url, "user", "add", "--name", f"Browser {role}", "--email", email, "--role", role).strip()
    assert token, f"`mla-tracker user add` printed no token for {email}"
    cli(database_url, "user", "set-password", "--email", email, stdin=PASSWORD + "\n")
    return User(role, email, token)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Server:
    """`mla-tracker serve` on a free port of 127.0.0.1, until stopped."""

    def __init__(self, name: str, database_url: str, settings: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = WORK / f"{name}-server.log"
        self.outbox = str(WORK / f"{name}-outbox")
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            MLA__SERVER__BIND=f"127.0.0.1:{self.port}",
            MLA__SERVER__PUBLIC_URL=self.url,
            MLA__MAIL__URL=f"file://{self.outbox}",
            # The tests sign in with wrong passwords on purpose.
            MLA__AUTH__MAX_FAILED_ATTEMPTS="1000",
            RUST_LOG="warn",
            **settings,
        )
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mla-tracker serve ({name}) exited with {self.process.returncode}:\n{log_tail(self.log)}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mla-tracker serve ({name}) did not answer /healthz in 30 s:\n{log_tail(self.log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def new_database(name: str) -> tuple[str, Callable[[], object]]:
    """A fresh, migrated database for a server of its own (SQLite allows one
    server per file); its URL and how to drop it."""
    if BACKEND == "sqlite":
        url = f"sqlite://{WORK}/{name}.db"
        drop = lambda: None  # noqa: E731 (the temporary folder goes with the run)
    else:
        db = f"mla_browser_{os.getpid()}_{re.sub(r'[^a-z0-9]', '_', name.lower())}"
        subprocess.run(["psql", PG_SERVER, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {db}"], check=True)
        url = PG_SERVER.rsplit("/", 1)[0] + "/" + db
        drop = lambda: subprocess.run(  # noqa: E731
            ["psql", PG_SERVER, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], capture_output=True
        )
    cli(url, "migrate")
    return url, drop


@dataclass
class Site:
    """A running service, its database and one user per role."""

    server: Server
    database_url: str
    users: dict[str, User] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def add_user(self, role: str) -> User:
        """A user of its own, for a test that changes what a user keeps
        (the language preference), so the shared users stay as they are."""
        return add_user(self.database_url, role, f"browser-{role}-{next(_counter)}@example.org")

    def api(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict:
        """Calls the JSON API (as the admin by default); the decoded answer."""
        request = urllib.request.Request(
            self.url + "/api/v1" + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token or self.users['admin'].token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            pytest.fail(f"{method} /api/v1{path} answered {e.code}: {e.read().decode(errors='replace')}")

    def create_request(self, title: str | None = None, sent_days_ago: int | None = None) -> dict:
        """A request made through the API (a draft unless `sent_days_ago`); its record."""
        n = next(_counter)
        body = {
            "case_reference": f"BROWSER-{os.getpid()}-{n}",
            "title": title or f"Live-streamed abuse: identify the victims ({n})",
            "issuing_magistrate": {"name": "Juge Martin", "court": "TJ Paris", "email": "martin@justice.example"},
            "target_country": "ph",
            "channel": "central_authority",
            "legal_basis": "untoc",
            "offences": ["child_sexual_exploitation"],
            "measures": ["identify_victims", "subscriber_data"],
            "priority": "urgent",
            "coordinator_email": "coord@justice.example",
        }
        if sent_days_ago is not None:
            body["sent_at"] = days_ago(sent_days_ago)
        return self.api("POST", "/requests", body)


def days_ago(n: int) -> str:
    # Days back, so the date is in the past in the office's zone (Paris) too.
    return (datetime.date.today() - datetime.timedelta(days=n)).isoformat()


def start_site(name: str, database_url: str, settings: dict[str, str] | None = None) -> Site:
    users = {role: add_user(database_url, role, f"browser-{role}@example.org") for role in ROLES}
    return Site(Server(name, database_url, settings or {}), database_url, users)


@pytest.fixture(scope="session")
def site():
    """The service most tests share, on the database scripts/browser migrated."""
    s = start_site("main", DATABASE_URL)
    yield s
    s.server.stop()


@pytest.fixture
def site_with():
    """Starts a service with settings of its own on a database of its own:
    `site_with("idle", MLA__WEB__SESSION_IDLE_SECONDS="3")`. Stopped after the test."""
    started = []

    def start(name: str, **settings: str) -> Site:
        name = f"{name}-{next(_counter)}"  # a database of its own each time
        url, drop = new_database(name)
        started.append(drop)
        s = start_site(name, url, settings)
        started.append(s.server.stop)
        return s

    yield start
    for undo in reversed(started):
        undo()


# --- the browser -----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root with its sandbox
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser, site: Site):
    """Opens a page in a fresh context (no cookies), English by default.

    Pages made without `bypass_csp` run under the service's own Content
    Security Policy, and the test fails if the page reports a violation of it
    or a script error: the pages must work as sent. axe can only be injected
    with `bypass_csp=True`."""
    contexts, problems = [], []

    def make(base_url: str | None = None, bypass_csp: bool = False, locale: str = "en-GB") -> Page:
        context = browser.new_context(base_url=base_url or site.url, bypass_csp=bypass_csp, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if not bypass_csp:
            page.on(
                "console",
                lambda m: problems.append(f"{page.url}: {m.text}")
                if m.type == "error" and "Content Security Policy" in m.text
                else None,
            )
        page.on("pageerror", lambda e: problems.append(f"{page.url}: script error: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the pages reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


def login(page: Page, user: User, expect_home: bool = True) -> None:
    """Signs in through the login form (by the fields' names, so in either
    language); then waits for the role's home page unless told not to."""
    page.goto("/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=email]").fill(user.email)
    form.locator("input[name=password]").fill(user.password)
    form.locator("button[type=submit], input[type=submit]").first.click()
    if expect_home:
        page.wait_for_url(re.compile(re.escape(HOME[user.role]) + r"(\?.*)?$"))


def switch_language(page: Page, button: str) -> None:
    """Presses the language switch's button ("Français" or "English")."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def check_axe(page: Page) -> None:
    """Runs axe-core (WCAG 2.1 A and AA) on the page; fails listing each violation.
    The page's context must have been made with `bypass_csp=True`."""
    try:
        page.add_script_tag(path=AXE)
    except Exception as e:  # the page's CSP refuses injected scripts
        pytest.fail(f"axe-core could not be injected (is the context made with bypass_csp=True?): {e}")
    results = page.evaluate("tags => axe.run(document, {runOnly: tags})", AXE_TAGS)
    # A run that checked nothing (no rule matched: an empty page) passes nothing either.
    assert results["passes"], f"axe found nothing to check on {page.url}"
    violations = results["violations"]
    if violations:
        lines = [f"axe: {len(violations)} violation(s) on {page.url} (lang={page.locator('html').get_attribute('lang')}):"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
            for node in v["nodes"]:
                summary = " ".join((node.get("failureSummary") or "").split())
                lines.append(f"    at {' '.join(map(str, node['target']))}: {summary}")
        pytest.fail("\n".join(lines))
