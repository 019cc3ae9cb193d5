"""Signing in and out, and the forms' CSRF protection."""

import re

import pytest
from playwright.sync_api import expect

from conftest import HOME, ROLES, login


def test_the_login_form_has_labelled_fields_a_csrf_token_and_a_sign_in_button(page):
    page.goto("/login")
    email = page.get_by_label("Email", exact=True)
    expect(email).to_have_attribute("name", "email")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("name", "password")
    expect(password).to_have_attribute("type", "password")
    form = page.locator("form:has(input[name=password])")
    token = form.locator("input[type=hidden][name=csrf_token]")
    expect(token).to_have_count(1)
    assert token.get_attribute("value"), "the csrf_token field is empty"
    expect(form.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_a_failed_sign_in_shows_one_generic_message(page, site, who):
    email = site.users["clerk"].email if who == "wrong password" else "nobody@example.org"
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("Not-the-password-42")
    page.get_by_role("button", name="Sign in", exact=True).click()
    # The same words either way, so the page does not tell who has an account.
    expect(page.get_by_role("alert")).to_have_text("Email or password incorrect.")
    assert page.url.split("?")[0].endswith("/login")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    page.goto("/requests")
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))


@pytest.mark.parametrize("role", ROLES)
def test_signing_in_redirects_to_the_roles_home_page(page, site, role):
    user = site.users[role]
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as posted:
        page.get_by_role("button", name="Sign in", exact=True).click()
    answer = posted.value
    assert answer.status == 303, f"POST /login answered {answer.status}, not 303"
    assert answer.headers.get("location", "").split("?")[0].endswith(HOME[role])
    expect(page).to_have_url(re.compile(re.escape(HOME[role]) + r"(\?.*)?$"))


def test_sign_out_ends_the_session(page, site):
    login(page, site.users["coordinator"])
    with page.expect_navigation():
        page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    page.goto("/requests")
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))


def test_a_form_post_without_its_csrf_token_is_refused(page, site):
    login(page, site.users["clerk"])
    # The context's session cookie goes with it; the form's token does not.
    answer = page.request.post(site.url + "/logout", max_redirects=0)
    assert answer.status == 403, f"POST /logout without csrf_token answered {answer.status}, not 403"
    # And it did not sign out.
    page.goto("/requests")
    expect(page).to_have_url(re.compile(r"/requests(\?.*)?$"))
