"""The import page in a real browser: a coordinator opens it from the
register, uploads the French CSV fixture as a check (the box ticked by
default), and reads its three problems in the table; nothing is written.
axe-core finds no WCAG 2.1 A or AA violation on the form, the report, or
the form with an error beside the file field, in English and in French."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import check_axe, login, switch_language

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "register-fr.csv"
LANGUAGES = ["en", "fr"]
# By language: the link, the file field's label, the submit button, the
# problems' heading, the check box, the suggestion.
WORDS = {
    "en": ("Import a spreadsheet", "Spreadsheet (.xlsx, .ods or .csv)", "Send the file", "Problems",
           "Check only (dry run)", "Did you mean Philippines (PH)?"),
    "fr": ("Importer un tableur", "Tableur (.xlsx, .ods ou .csv)", "Envoyer le fichier", "Problèmes",
           "Vérifier seulement (essai à blanc)", "Vouliez-vous dire Philippines (PH)\u00a0?"),
}
COLUMNS = {"4": "Pays requis", "6": "Date d'envoi", "8": "Date de clôture"}


def coordinator_on_the_form(new_page, site, lang):
    page = new_page(bypass_csp=True)
    if lang == "fr":
        page.goto("/login")
        switch_language(page, "Français")
        login(page, site.add_user("coordinator"))
    else:
        login(page, site.users["coordinator"])
    link, label = WORDS[lang][0], WORDS[lang][1]
    page.goto("/requests")
    page.get_by_role("link", name=link).click()
    page.wait_for_url("**/imports")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_label(label)).to_be_visible()
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_check_of_the_fixture_shows_its_problems(new_page, site, lang):
    _, label, send, problems, check_only, suggestion = WORDS[lang]
    page = coordinator_on_the_form(new_page, site, lang)
    check_axe(page)
    expect(page.get_by_label(check_only)).to_be_checked()
    before = site.api("GET", "/requests?limit=100")["items"]
    page.get_by_label(label).set_input_files(FIXTURE)
    with page.expect_navigation():
        page.get_by_role("button", name=send).click()
    expect(page.get_by_role("heading", name=problems)).to_be_visible()
    table = page.locator("table.import-problems")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    for row, column in COLUMNS.items():
        line = rows.filter(has=page.get_by_role("rowheader", name=row, exact=True))
        expect(line.locator("td").first).to_have_text(column)
    expect(rows.filter(has_text="Philipines")).to_contain_text(suggestion)
    expect(page.get_by_role("status")).to_contain_text("7")
    check_axe(page)
    assert site.api("GET", "/requests?limit=100")["items"] == before, "a check writes nothing"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_form_sent_without_a_file_says_so_beside_the_field(new_page, site, lang):
    _, label, send, *_ = WORDS[lang]
    page = coordinator_on_the_form(new_page, site, lang)
    with page.expect_navigation():
        page.get_by_role("button", name=send).click()
    field = page.get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_be_visible()
    # The summary's link takes the focus to the field.
    page.get_by_role("alert").get_by_role("link").first.click()
    expect(field).to_be_focused()
    check_axe(page)


def test_a_file_over_the_limit_is_refused_beside_the_field(new_page, site_with, tmp_path):
    """The browser gets the form back with the message, not a broken
    connection, though the server stops reading the upload early."""
    small = site_with("import-limit", MLA__IMPORT__MAX_FILE_MB="1")
    page = new_page(base_url=small.url, bypass_csp=True)
    login(page, small.users["coordinator"])
    page.goto("/imports")
    big = tmp_path / "big.csv"
    big.write_bytes(b"Reference;Title\n" + b"IMP-1;" + b"x" * (8 * 1024 * 1024) + b"\n")
    page.get_by_label(WORDS["en"][1]).set_input_files(big)
    with page.expect_navigation():
        page.get_by_role("button", name="Send the file").click()
    error = page.locator("#import-file-error")
    expect(error).to_contain_text("This file is too large")
    expect(error).to_contain_text("Largest file accepted: 1\u00a0MB.")
    check_axe(page)
