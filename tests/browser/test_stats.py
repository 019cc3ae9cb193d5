"""The statistics page in a real browser: an analyst picks a year and a
release date from the form, reads the published table, and downloads the
same table as CSV."""

import datetime

from playwright.sync_api import expect

from conftest import login


def test_an_analyst_picks_a_period_and_downloads_the_table(page, site):
    login(page, site.users["analyst"])
    last_year = str(datetime.date.today().year - 1)
    page.get_by_label("Requests sent in").select_option(last_year)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/stats?period={last_year}*")
    expect(page.locator("main")).to_contain_text("Published view")
    expect(page.get_by_label("Requests sent in")).to_have_value(last_year)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table (CSV)").click()
    path = download.value.path()
    first_line = open(path, encoding="utf-8").readline()
    assert first_line.startswith("country,country_name,requests,"), first_line
