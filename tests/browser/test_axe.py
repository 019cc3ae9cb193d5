"""axe-core finds no WCAG 2.1 A or AA violation on the pages (sign-in, the
register, a request, the 403 page, the statistics), in English and
in French, for each role that can open them."""

import pytest
from playwright.sync_api import expect

from conftest import check_axe, login, switch_language

STAFF = ["admin", "coordinator", "clerk"]
LANGUAGES = ["en", "fr"]


@pytest.fixture(scope="module")
def a_request(site):
    return site.create_request(sent_days_ago=10)


def axe_page(new_page, lang):
    """A page axe can be injected into (CSP bypassed), in the language asked."""
    page = new_page(bypass_csp=True)
    if lang == "fr":
        page.goto("/login")
        switch_language(page, "Français")
    return page


def visit(page, path, lang):
    """Opens the page and checks it is in the language asked, so the French
    runs do not check English pages."""
    answer = page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    return answer


def sign_in(page, site, role, lang):
    # French is saved as the preference of whoever chooses it signed in: a
    # user of their own then, so the shared users stay English.
    login(page, site.add_user(role) if lang == "fr" else site.users[role])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_login(new_page, lang):
    page = axe_page(new_page, lang)
    visit(page, "/login", lang)
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_login_after_a_failed_sign_in(new_page, site, lang):
    page = axe_page(new_page, lang)
    visit(page, "/login", lang)
    page.locator("input[name=email]").fill(site.users["clerk"].email)
    page.locator("input[name=password]").fill("Not-the-password-42")
    page.locator("form:has(input[name=password])").locator("button[type=submit]").click()
    page.get_by_role("alert").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", STAFF)
def test_register(new_page, site, a_request, role, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, role, lang)
    visit(page, "/requests", lang)
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", STAFF)
def test_request(new_page, site, a_request, role, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, role, lang)
    visit(page, f"/requests/{a_request['id']}", lang)
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_access_denied(new_page, site, a_request, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, "analyst", lang)
    answer = visit(page, f"/requests/{a_request['id']}", lang)
    assert answer.status == 403, f"expected the 403 page, got {answer.status}"
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", STAFF + ["analyst"])
def test_statistics(new_page, site, a_request, role, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, role, lang)
    answer = visit(page, "/stats", lang)
    assert answer.status == 200, f"/stats answered {answer.status} to a {role}"
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", STAFF + ["analyst"])
def test_account(new_page, site, role, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, role, lang)
    visit(page, "/account", lang)
    check_axe(page)
    # With the password form's errors shown.
    page.locator("#new-password").fill("short")
    page.locator("#new-password-again").fill("other")
    page.locator("form[action='/account/password'] button[type=submit]").click()
    page.locator("#new-password-again-error").wait_for()
    check_axe(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_users_and_an_invitation(new_page, site, lang):
    page = axe_page(new_page, lang)
    sign_in(page, site, "admin", lang)
    visit(page, "/admin/users", lang)
    check_axe(page)
    # A link that does not work (any secret): the page that says what to do.
    answer = visit(page, "/invitation/not-a-link-anyone-was-sent", lang)
    assert answer.status == 410
    check_axe(page)
