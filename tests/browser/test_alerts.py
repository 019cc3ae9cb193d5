"""The stalled list in a real browser: axe on it for each role that opens it,
in both languages, and a follow-up recorded from a row, which the request's
history then shows."""

import re

import pytest
from playwright.sync_api import expect

from conftest import check_axe, login, switch_language

STAFF = ["admin", "coordinator", "clerk"]


@pytest.fixture(scope="module")
def stalled(site):
    # Sent 200 days ago with no answer: past the default stall thresholds.
    return site.create_request(sent_days_ago=200)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("role", STAFF)
def test_axe_on_the_stalled_list(new_page, site, stalled, role, lang):
    page = new_page(bypass_csp=True)
    user = site.add_user(role) if lang == "fr" else site.users[role]
    login(page, user)
    if lang == "fr":
        switch_language(page, "Français")
    page.goto("/alerts?scope=all")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("link", name=stalled["reference"])).to_be_visible()
    check_axe(page)


def test_a_follow_up_from_the_row_reaches_the_history(page, site, stalled):
    login(page, site.users["coordinator"])
    page.goto("/alerts?scope=all")
    row = page.locator("tr", has=page.get_by_role("link", name=stalled["reference"]))
    row.get_by_label(re.compile("^How")).select_option("diplomatic")
    row.get_by_label(re.compile("^Note")).fill("Reminder through the embassy")
    row.get_by_role("button", name=re.compile("^Record")).click()
    expect(page.get_by_role("status")).to_contain_text("The follow-up was recorded")
    row = page.locator("tr", has=page.get_by_role("link", name=stalled["reference"]))
    expect(row).to_contain_text("(Diplomatic channel)")
    page.get_by_role("link", name=stalled["reference"]).click()
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    expect(history).to_contain_text("Follow-up")
    expect(history).to_contain_text("Reminder through the embassy")


def test_an_analyst_cannot_open_the_stalled_list(page, site):
    login(page, site.users["analyst"])
    answer = page.goto("/alerts")
    assert answer.status == 403
    expect(page.locator("h1")).to_have_text("Access denied")
