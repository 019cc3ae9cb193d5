"""The statistics page in a real browser: an analyst picks a year and a
release date from the form, reads the published tables, and downloads the
same table as CSV; every role that can open the page sees its four tables and
its two charts, drawn (not broken images), and axe finds no violation."""

import datetime

import pytest
from playwright.sync_api import expect

from conftest import check_axe, login, switch_language

ROLES = ["admin", "coordinator", "clerk", "analyst"]
TABLES = [
    "stats-countries-table",
    "stats-abandoned-table",
    "stats-refused-table",
    "stats-timeline-table",
]
CHARTS = ["response-rates.svg", "response-curves.svg"]


@pytest.fixture(scope="module")
def register(site):
    """Requests sent over the last year and a half, some answered, refused or
    abandoned, so each table has rows."""
    made = []
    for n in range(12):
        request = site.create_request(sent_days_ago=40 + 45 * n)
        made.append(request)
        sent = datetime.date.fromisoformat(request["sent_at"])
        moved = (sent + datetime.timedelta(days=20)).isoformat()
        if n % 4 == 1:
            site.api("POST", f"/requests/{request['id']}/transitions", {"to": "acknowledged", "effective_date": moved})
        elif n % 4 == 2:
            site.api(
                "POST",
                f"/requests/{request['id']}/transitions",
                {"to": "refused", "effective_date": moved, "refusal_ground": "dual_criminality"},
            )
        elif n % 4 == 3:
            site.api(
                "POST",
                f"/requests/{request['id']}/transitions",
                {"to": "abandoned", "effective_date": moved, "abandonment_reason": "no_response"},
            )
    return made


def charts_drawn(page):
    """Waits for each chart to load, then checks the browser drew it."""
    for chart in CHARTS:
        img = page.locator(f"img[src^='/stats/charts/{chart}']")
        expect(img).to_have_count(1)
        assert img.get_attribute("alt"), f"{chart} has no text alternative"
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=img.element_handle())
        width = img.evaluate("img => img.naturalWidth")
        assert width > 0, f"{chart} did not load (naturalWidth {width})"


def test_an_analyst_picks_a_period_and_downloads_the_table(page, site, register):
    login(page, site.users["analyst"])
    last_year = str(datetime.date.today().year - 1)
    page.get_by_label("Requests sent in").select_option(last_year)
    page.get_by_label("Timeline by").select_option("quarter")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/stats?period={last_year}*")
    expect(page.locator("main")).to_contain_text("Published view")
    expect(page.get_by_label("Requests sent in")).to_have_value(last_year)
    expect(page.get_by_label("Timeline by")).to_have_value("quarter")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the table by country (CSV)").click()
    first_line = open(download.value.path(), encoding="utf-8").readline()
    assert first_line.startswith("country,country_name,requests,"), first_line
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the table by period (CSV)").click()
    assert download.value.suggested_filename.startswith("timeline-")
    first_line = open(download.value.path(), encoding="utf-8").readline()
    assert first_line.startswith("bucket,complete,sent,answered,"), first_line
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the refusal grounds (CSV)").click()
    assert download.value.suggested_filename.startswith("refusal-grounds-")
    charts_drawn(page)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_tables_and_the_charts(new_page, site, register, role):
    # Under the service's own CSP first: the charts must load from 'self'.
    page = new_page()
    login(page, site.users[role])
    answer = page.goto("/stats")
    assert answer.status == 200, f"/stats answered {answer.status} to a {role}"
    for table in TABLES:
        expect(page.locator(f"#{table}")).to_be_visible()
    rows = page.locator("#stats-countries-table tbody tr")
    expect(rows.first).to_be_visible()
    charts_drawn(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooperation statistics")
    for heading in ["Cooperation by country", "Time to a first response", "Why requests ended", "Requests by period of sending"]:
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("role", ROLES)
def test_the_page_with_its_charts_is_accessible(new_page, site, register, role, lang):
    page = new_page(bypass_csp=True)
    user = site.users[role] if lang == "en" else site.add_user(role)
    login(page, user)
    if lang == "fr":
        switch_language(page, "Français")
    page.goto("/stats?bucket=quarter")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    for table in TABLES:
        expect(page.locator(f"#{table}")).to_be_visible()
    charts_drawn(page)
    check_axe(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_reads_in_the_reader_s_language_and_is_accessible(new_page, site, register, lang):
    """The report's web page, opened from the statistics page: in the
    reader's language, every table and both charts there, and axe finds no
    violation (the page is also what the PDF is printed from)."""
    page = new_page(bypass_csp=True)
    user = site.users["analyst"] if lang == "en" else site.add_user("analyst")
    login(page, user)
    if lang == "fr":
        switch_language(page, "Français")
    page.goto("/stats")
    link = page.get_by_role("link", name="web page" if lang == "en" else "page web")
    with page.expect_navigation():
        link.click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    heading = "How to read these figures" if lang == "en" else "Comment lire ces chiffres"
    expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    assert page.locator("table").count() >= 8, page.content()
    assert page.locator("svg").count() == 2
    check_axe(page)
