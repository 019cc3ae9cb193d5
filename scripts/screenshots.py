"""Takes the documentation's screenshots (docs/screenshots/*.png) in Chromium.

Run by scripts/screenshots, which builds the binary, seeds a fictitious
portfolio on a pinned clock, adds one user per role, starts the service and
tells this script where things are:

    MLA_SHOTS_URL       the running service, e.g. http://127.0.0.1:40123
    MLA_SHOTS_TOKEN     the admin's API token (to choose the request shown)
    MLA_SHOTS_PASSWORD  every user's password
    MLA_SHOTS_EMAILS    role=email pairs, comma-separated
    MLA_SHOTS_OUT       the folder the PNGs go into
    MLA_SHOTS_CHROMIUM  the Chromium executable

Each picture is the 1280×800 viewport, or for a request its moves and
history (a band of the page, as wide), so the files stay small; the script
fails if a page answers an error, lacks what it should show, or a picture
is larger than MAX_BYTES.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

URL = os.environ["MLA_SHOTS_URL"]
TOKEN = os.environ["MLA_SHOTS_TOKEN"]
PASSWORD = os.environ["MLA_SHOTS_PASSWORD"]
EMAILS = dict(pair.split("=", 1) for pair in os.environ["MLA_SHOTS_EMAILS"].split(","))
OUT = Path(os.environ["MLA_SHOTS_OUT"])
CHROMIUM = os.environ["MLA_SHOTS_CHROMIUM"]

WIDTH, HEIGHT = 1280, 800
# A picture larger than this (bytes) fails the run: the files live in git.
MAX_BYTES = 250_000
# Script errors reported by the pages; any fails the run before its next picture.
SCRIPT_ERRORS: list[str] = []
# Where each role lands after signing in.
HOME = {"admin": "/requests", "coordinator": "/requests", "clerk": "/requests", "analyst": "/stats"}


def api(path: str) -> dict:
    request = urllib.request.Request(
        URL + "/api/v1" + path, headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"screenshots: GET /api/v1{path} answered {e.code}: {e.read().decode(errors='replace')}")


def richest_request_that_can_move_to(move_to: str) -> dict:
    """The request with the longest history among those that can move to
    `move_to` (ties: the smallest reference), so the page shows both."""
    transitions = api("/meta/vocabularies")["transitions"]
    movable = sorted(s for s, to in transitions.items() if move_to in to)
    best: tuple[int, str, dict] | None = None
    cursor = None
    while True:
        query = {"status": ",".join(movable), "sort": "reference", "limit": "200"}
        if cursor:
            query["cursor"] = cursor
        page = api("/requests?" + urllib.parse.urlencode(query))
        for item in page["items"]:
            events = len(api(f"/requests/{item['id']}/events")["items"])
            key = (-events, item["reference"], item)
            if best is None or key[:2] < best[:2]:
                best = key
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if best is None:
        sys.exit(f"screenshots: the seeded portfolio has no request that can move to {move_to}")
    return best[2]


def save(page: Page, name: str, region: tuple[str, str] | None = None) -> None:
    """The viewport; or, with `region` (two selectors), the full-width band of
    the whole page from the top of the first element to the bottom of the
    second (a whole request page is too large a file)."""
    if SCRIPT_ERRORS:
        sys.exit("screenshots: the pages reported script errors:\n" + "\n".join(SCRIPT_ERRORS))
    path = OUT / name
    if region is None:
        page.screenshot(path=path, type="png")
    else:
        where = "(e, edge) => e.getBoundingClientRect()[edge] + window.scrollY"
        top = max(0, int(page.locator(region[0]).evaluate(where, "top")) - 16)
        bottom = int(page.locator(region[1]).evaluate(where, "bottom")) + 16
        clip = {"x": 0, "y": top, "width": WIDTH, "height": bottom - top}
        page.screenshot(path=path, type="png", full_page=True, clip=clip)
    size = path.stat().st_size
    print(f"  {name}: {size // 1024} KB")
    if size > MAX_BYTES:
        sys.exit(f"screenshots: {name} is {size} bytes, more than {MAX_BYTES}: crop it")


def goto(page: Page, path: str) -> None:
    """Opens a page; fails if the service answers an error."""
    answer = page.goto(path)
    if answer is None or answer.status >= 400:
        sys.exit(f"screenshots: {path} answered {answer.status if answer else 'nothing'}")


def login(page: Page, role: str) -> None:
    page.goto("/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=email]").fill(EMAILS[role])
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(re.compile(re.escape(HOME[role]) + r"(\?.*)?$"))


def new_page(browser: Browser) -> Page:
    context = browser.new_context(
        base_url=URL, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB", device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda e: SCRIPT_ERRORS.append(f"{page.url}: {e}"))
    return page


def open_move(page: Page, to: str) -> None:
    """Opens the move to status `to` (found by value, so in either language)."""
    details = page.locator(f"details:has(input[name=to][value={to}])")
    details.locator("summary").click()
    expect(details.locator("form")).to_be_visible()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    move_to = "abandoned"  # a move that asks for something: the reason
    shown = richest_request_that_can_move_to(move_to)
    request_path = f"/requests/{shown['id']}"
    print(f"  the request shown: {shown['reference']} ({shown['status']})")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root with its sandbox
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)

        # Signed out: the sign-in page.
        page = new_page(browser)
        goto(page, "/login")
        save(page, "login-en.png")
        page.context.close()

        # A coordinator: the register filtered by country, a request, the form's errors.
        page = new_page(browser)
        login(page, "coordinator")
        page.get_by_label("Requested country").select_option(shown["target_country"])
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Apply").click()
        if navigation.value.status >= 400:
            sys.exit(f"screenshots: the filtered register answered {navigation.value.status}")
        filtered = page.url
        expect(page.locator("table.register tbody tr").first).to_be_visible()
        save(page, "register-en.png")

        goto(page, request_path)
        open_move(page, move_to)
        save(page, "request-en.png", region=("#moves-heading", "section.moves"))
        save(page, "request-follow-ups-en.png", region=("#follow-ups-heading", "#preservations"))

        # Everything the form requires but the title: refused, what was typed kept.
        goto(page, "/requests/new")
        page.get_by_label("Case").fill("PARQUET-2026-0999")
        page.get_by_label("Magistrate's name").fill("Juge B. Durand")
        page.get_by_label("Requested country").select_option(shown["target_country"])
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("Title — Fill in this field.")
        expect(page.get_by_label("Case")).to_have_value("PARQUET-2026-0999")
        save(page, "new-request-errors-en.png")

        # The same coordinator, on the same register, presses "Français";
        # then the request again.
        goto(page, filtered)
        with page.expect_navigation():
            page.get_by_role("button", name="Français", exact=True).click()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("table.register tbody tr").first).to_be_visible()
        save(page, "register-fr.png")
        goto(page, request_path)
        open_move(page, move_to)
        save(page, "request-fr.png", region=("#moves-heading", "section.moves"))
        page.context.close()

        # The admin: every stalled request.
        page = new_page(browser)
        login(page, "admin")
        goto(page, "/alerts?scope=all")
        expect(page.locator("table").first).to_be_visible()
        save(page, "alerts-en.png")
        page.context.close()

        # An analyst: the statistics, in the published view.
        page = new_page(browser)
        login(page, "analyst")
        expect(page.locator("h1")).to_be_visible()
        save(page, "stats-analyst-en.png")
        page.context.close()

        browser.close()
    if SCRIPT_ERRORS:
        sys.exit("screenshots: the pages reported script errors:\n" + "\n".join(SCRIPT_ERRORS))


if __name__ == "__main__":
    main()
