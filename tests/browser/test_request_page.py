"""The request page's own forms in a real browser: a follow-up, a snooze
and its lifting, a `received` milestone, a preservation recorded then
released, each seen on the page (and the JSON API's record); axe on the
page with every section filled in, with a refused form, and with a
preservation's forms open, as a clerk and as a coordinator, in English
and in French."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from conftest import check_axe, days_ago, login, switch_language


def in_words(day: str) -> str:
    """A date as the English pages write it: `5 May 2026`."""
    d = datetime.date.fromisoformat(day)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def section(page: Page, anchor: str):
    return page.locator(f"section#{anchor}")


def test_each_form_of_the_request_page(page, site):
    made = site.create_request(sent_days_ago=60)
    login(page, site.users["clerk"])
    page.goto(f"/requests/{made['id']}")

    follow_ups = section(page, "follow-ups")
    expect(follow_ups).to_contain_text("No follow-up recorded yet.")
    follow_ups.get_by_label("How").select_option("diplomatic")
    follow_ups.get_by_label(re.compile("^Note")).fill("Reminder through the embassy")
    with page.expect_navigation():
        follow_ups.get_by_role("button", name="Record").click()
    assert page.url.endswith("#follow-ups"), page.url
    expect(follow_ups.locator("table")).to_contain_text("Diplomatic channel")
    expect(follow_ups.locator("table")).to_contain_text("Reminder through the embassy")

    alerts = section(page, "alerts")
    expect(alerts).to_contain_text("Alerts are not paused.")
    until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    alerts.get_by_label(re.compile("^Pause the alerts until")).fill(until)
    alerts.get_by_label("Why they are paused").fill("Waiting for the trial date")
    with page.expect_navigation():
        alerts.get_by_role("button", name="Pause the alerts").click()
    expect(alerts).to_contain_text(f"Alerts are paused until {in_words(until)}.")
    expect(alerts).to_contain_text("Waiting for the trial date")
    with page.expect_navigation():
        alerts.get_by_role("button", name="Resume the alerts now").click()
    expect(alerts).to_contain_text("Alerts are not paused.")
    kinds = [e["kind"] for e in site.api("GET", f"/requests/{made['id']}/events")["items"]]
    assert "snoozed" in kinds and "unsnoozed" in kinds, kinds

    received = days_ago(55)
    milestones = section(page, "milestones")
    milestones.get_by_label("What happened").select_option("received")
    milestones.get_by_label(re.compile("^Date it happened")).fill(received)
    with page.expect_navigation():
        milestones.get_by_role("button", name="Record the date").click()
    field = page.locator(".fields div", has=page.locator("dt", has_text="Received by the requested state"))
    expect(field.locator("dd")).to_have_text(in_words(received))
    assert site.api("GET", f"/requests/{made['id']}")["received_at"] == received

    preserved = section(page, "preservations")
    expect(preserved).to_contain_text("No preservation recorded for this request.")
    preserved.get_by_label(re.compile("^Who keeps the data")).fill("Meta Platforms")
    preserved.get_by_label("Country of the holder").select_option("US")
    preserved.get_by_label("Legal basis of the preservation").select_option("us_2703f")
    preserved.get_by_label("Asked for on").fill(days_ago(10))
    with page.expect_navigation():
        preserved.get_by_role("button", name="Record the preservation").click()
    row = preserved.locator("tr", has=page.get_by_role("rowheader", name="Meta Platforms"))
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text(re.compile(r"\d+ days left"))
    preserved.locator("summary", has_text="Renew or release: Meta Platforms").click()
    with page.expect_navigation():
        preserved.get_by_role("button", name=re.compile("^Release")).click()
    row = preserved.locator("tr", has=page.get_by_role("rowheader", name="Meta Platforms"))
    expect(row).to_contain_text("Released on")
    items = site.api("GET", f"/preservations?request_id={made['id']}")["items"]
    assert [p["state"] for p in items] == ["released"], items


@pytest.fixture(scope="module")
def filled_in(site):
    """A request with something in every section: a follow-up, a snooze, a
    preservation, another request of its case that supersedes it."""
    made = site.create_request(sent_days_ago=40)
    rid = made["id"]
    site.api("POST", f"/requests/{rid}/follow-ups", {"channel": "eurojust", "effective_date": days_ago(3)})
    until = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()
    site.api("POST", f"/requests/{rid}/snooze", {"until": until, "reason": "Trial in the autumn"})
    site.api(
        "POST",
        "/preservations",
        {"request_id": rid, "holder": "Google LLC", "country": "US", "legal_basis": "us_2703f", "sent_at": days_ago(5)},
    )
    other = site.api(
        "POST",
        "/requests",
        {
            "case_reference": made["case_reference"],
            "title": "The same case, reissued",
            "issuing_magistrate": {"name": "Juge Martin"},
            "target_country": "ph",
            "channel": "central_authority",
            "legal_basis": "untoc",
            "sent_at": days_ago(2),
        },
    )
    site.api("POST", f"/requests/{other['id']}/links", {"kind": "supersedes", "to": rid})
    return made


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("role", ["clerk", "coordinator"])
def test_axe_on_the_request_page(new_page, site, filled_in, role, lang):
    page = new_page(bypass_csp=True)
    login(page, site.add_user(role) if lang == "fr" else site.users[role])
    if lang == "fr":
        switch_language(page, "Français")
    page.goto(f"/requests/{filled_in['id']}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(section(page, "links")).to_be_visible()
    expect(section(page, "case").locator("table")).to_be_visible()
    check_axe(page)
    # A refused form: its errors beside the fields.
    snooze = section(page, "alerts")
    with page.expect_navigation():
        snooze.locator("form[action$='/snooze'] button[type=submit]").click()
    expect(snooze.locator(".field-error").first).to_be_visible()
    check_axe(page)
    # A preservation's forms, open.
    section(page, "preservations").locator("summary").first.click()
    check_axe(page)
