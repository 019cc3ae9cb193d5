"""The request page prints for the paper case file: as the print medium
shows it, every field and the history are there, and no navigation, form or
button is."""

from playwright.sync_api import expect

from conftest import login


def test_the_request_prints_its_fields_and_history_without_forms(page, site):
    request = site.create_request(title="Printed for the case file", sent_days_ago=40)
    login(page, site.users["coordinator"])
    page.goto(f"/requests/{request['id']}")
    # On screen the forms are there: the test below can fail.
    expect(page.locator("#note-text")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#fields-heading")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Printed for the case file")
    expect(page.locator("#history table")).to_be_visible()
    for hidden in ["header.site-header", ".skip-link", "main form", "main button", "details"]:
        shown = [e for e in page.locator(hidden).all() if e.is_visible()]
        assert not shown, f"{hidden} is printed: {len(shown)} visible"
