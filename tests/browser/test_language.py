"""French: the switch, the words, and the choice remembered."""

import re

from playwright.sync_api import expect

from conftest import login, switch_language


def test_the_login_page_in_french(page, site):
    page.goto("/login")
    switch_language(page, "Français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Aller au contenu principal", exact=True)).to_have_attribute("href", "#main")
    expect(page.get_by_label("Adresse électronique", exact=True)).to_have_attribute("name", "email")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_attribute("name", "password")
    expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()

    page.get_by_label("Adresse électronique", exact=True).fill(site.users["clerk"].email)
    page.get_by_label("Mot de passe", exact=True).fill("Pas-le-bon-mot-de-passe-9")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Adresse électronique ou mot de passe incorrect.")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_the_choice_is_remembered_across_pages_and_sign_in(page, site):
    page.goto("/login")
    switch_language(page, "Français")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # A user of its own: signing in may save the choice as their preference.
    login(page, site.add_user("clerk"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("banner").get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()


def test_a_signed_in_users_choice_is_saved_as_their_preference(new_page, site):
    user = site.add_user("coordinator")
    page = new_page()
    login(page, user)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch_language(page, "Français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()

    # Another browser, nothing remembered in it: the page after signing in is French.
    elsewhere = new_page()
    elsewhere.goto("/login")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    login(elsewhere, user)
    expect(elsewhere.locator("html")).to_have_attribute("lang", "fr")

    # And back to English, kept too.
    switch_language(elsewhere, "English")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    elsewhere.goto("/requests")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    expect(elsewhere).to_have_url(re.compile(r"/requests$"))
    expect(elsewhere.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
