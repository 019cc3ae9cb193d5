"""The clerk's flow in a real browser: record a request with a validation
error first, fixed; send it, acknowledge it, ask for and supply
information, abandon it with a reason, and find each step in the history;
an edit made on an old version shows the conflict page. axe runs on the
form, the form with its errors, the request page with a move open, and
the conflict page."""

import re

from playwright.sync_api import Page, expect

from conftest import check_axe, login


def record_with_an_error_then_fixed(page: Page, check=lambda: None) -> str:
    page.goto("/requests")
    page.get_by_role("link", name="Record a request").click()
    page.wait_for_url("**/requests/new")
    check()
    page.get_by_label("Case").fill("PARQUET-2026-0999")
    page.get_by_label("Magistrate's name").fill("Juge B. Durand")
    page.get_by_label("Requested country").select_option("PH")
    page.get_by_label("Channel").select_option("central_authority")
    page.get_by_label("Legal basis", exact=True).select_option("untoc")
    page.get_by_label("Child sexual exploitation").check()
    page.get_by_label("Identify victims").check()
    # No title: refused, nothing written, what was typed kept.
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Title — Fill in this field.")
    expect(page.get_by_label("Magistrate's name")).to_have_value("Juge B. Durand")
    expect(page.get_by_label("Child sexual exploitation")).to_be_checked()
    check()
    # The summary's link takes the focus to the field.
    alert.get_by_role("link", name=re.compile("^Title")).click()
    expect(page.locator("#field-title")).to_be_focused()
    page.keyboard.type("Live-streamed abuse: identify the child")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/requests/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_contain_text("Live-streamed abuse: identify the child")
    return page.url.rsplit("/", 1)[1]


def move(page: Page, to: str, fields: dict[str, str] | None = None) -> None:
    """Opens the move to `to`, fills its fields (by label) and records it."""
    summary = page.locator("summary", has_text=re.compile(f"^Move to: {re.escape(to)}$"))
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    form = page.locator("details[open] form")
    for label, value in (fields or {}).items():
        field = form.get_by_label(label)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.get_by_role("button", name=f"Record: {to}").click()


def test_a_request_from_draft_to_abandoned(page, site):
    login(page, site.users["clerk"])
    request_id = record_with_an_error_then_fixed(page)
    move(page, "Sent")
    move(page, "Acknowledged")
    move(page, "Additional information requested", {"Note (optional)": "They ask for the IP logs"})
    move(page, "Information supplied")
    # Abandoning without a reason is refused beside the field.
    page.locator("summary", has_text="Move to: Abandoned").click()
    form = page.locator("details[open] form")
    form.get_by_role("button", name="Record: Abandoned").click()
    expect(page.locator("#reason-abandoned-error")).to_contain_text("Fill in this field.")
    move(
        page,
        "Abandoned",
        {"Why it is abandoned": "No response from the requested state", "Note": "Three reminders, no answer"},
    )
    history = page.locator("#history")
    for step in [
        "Created: Draft",
        "Status changed: Draft → Sent",
        "Status changed: Sent → Acknowledged",
        "Status changed: Acknowledged → Additional information requested",
        "Status changed: Additional information requested → Information supplied",
        "Status changed: Information supplied → Abandoned",
        "They ask for the IP logs",
        "Three reminders, no answer",
    ]:
        expect(history).to_contain_text(step)
    record = site.api("GET", f"/requests/{request_id}")
    assert record["status"] == "abandoned" and record["abandonment_reason"] == "no_response", record


def test_an_edit_on_an_old_version_overwrites_nothing(page, site):
    made = site.create_request(sent_days_ago=30)
    login(page, site.users["clerk"])
    page.goto(f"/requests/{made['id']}/edit")
    page.get_by_label("Title").fill("The clerk's title")
    site.api("PATCH", f"/requests/{made['id']}", {"title": "The coordinator's title"}, headers={"If-Match": f'"{made["version"]}"'})
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Someone else changed this request")
    row = page.locator("tr", has_text="Title")
    expect(row).to_contain_text("The clerk's title")
    expect(row).to_contain_text("The coordinator's title")
    assert site.api("GET", f"/requests/{made['id']}")["title"] == "The coordinator's title"


def test_axe_on_the_forms_and_the_conflict_page(new_page, site):
    page = new_page(bypass_csp=True)
    login(page, site.users["clerk"])
    record_with_an_error_then_fixed(page, check=lambda: check_axe(page))
    page.locator("summary", has_text="Move to: Sent").click()
    check_axe(page)
    made = site.create_request(sent_days_ago=30)
    page.goto(f"/requests/{made['id']}/edit")
    check_axe(page)
    site.api("PATCH", f"/requests/{made['id']}", {"title": "Changed meanwhile"}, headers={"If-Match": f'"{made["version"]}"'})
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Someone else changed this request")
    check_axe(page)
