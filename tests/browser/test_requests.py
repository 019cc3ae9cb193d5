"""The register and a request's page, as the staff and as an analyst see them."""

import re

import pytest
from playwright.sync_api import expect

from conftest import days_ago, login

SCRIPT_TITLE = "<script>alert(1)</script>"


@pytest.mark.parametrize("role", ["admin", "coordinator", "clerk"])
def test_the_register_links_each_reference_to_its_request(page, site, role):
    made = site.create_request()
    login(page, site.users[role])
    page.goto("/requests")
    link = page.locator("table").get_by_role("link", name=made["reference"], exact=True)
    expect(link).to_have_attribute("href", f"/requests/{made['id']}")
    link.click()
    expect(page).to_have_url(re.compile(re.escape(f"/requests/{made['id']}") + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(made["title"])


def test_a_title_that_looks_like_markup_is_shown_as_text(new_page, site):
    made = site.create_request(title=SCRIPT_TITLE)
    # Without the Content Security Policy, an unescaped title would run: the
    # escaping itself is what is tested here.
    page = new_page(bypass_csp=True)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, site.users["clerk"])
    page.goto("/requests")
    assert dialogs == [], f"the title ran as a script in the register: dialogs {dialogs}"
    expect(page.locator("table").get_by_text(SCRIPT_TITLE, exact=True)).to_be_visible()
    page.goto(f"/requests/{made['id']}")
    assert dialogs == [], f"the title ran as a script on the request's page: dialogs {dialogs}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(SCRIPT_TITLE)


def test_a_requests_page_shows_its_title_and_history(page, site):
    made = site.create_request(sent_days_ago=20)
    note = f"Acknowledged by the central authority (browser test {made['reference']})"
    site.api(
        "POST",
        f"/requests/{made['id']}/transitions",
        {"to": "acknowledged", "effective_date": days_ago(5), "note": note},
    )
    events = site.api("GET", f"/requests/{made['id']}/events")["items"]
    assert len(events) >= 2, events
    login(page, site.users["clerk"])
    page.goto(f"/requests/{made['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(made["title"])
    heading = page.get_by_role("heading", name="History", exact=True)
    expect(heading).to_be_visible()
    # The history lists every event (a table's rows or a list's items), the
    # last one's note with it.
    history = heading.locator("xpath=..")
    expect(history.locator("tbody > tr, ol > li, ul > li")).to_have_count(len(events))
    expect(history).to_contain_text(note)


def test_an_analyst_gets_access_denied_and_none_of_the_requests_data(page, site):
    made = site.create_request(title="Confidential: the analyst must not read this")
    login(page, site.users["analyst"])
    answer = page.goto(f"/requests/{made['id']}")
    assert answer.status == 403, f"an analyst got {answer.status} on a request's page, not 403"
    expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
    html = page.content()
    for secret in (made["title"], made["reference"], made["case_reference"]):
        assert secret not in html, f"the 403 page shows {secret!r}"
