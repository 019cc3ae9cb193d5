"""What every page has: its language, a skip link, a main landmark, the
language switch and, signed in, a sign-out button."""

import re

import pytest
from playwright.sync_api import expect

from conftest import login

# (name, role signed in or None, how to reach it). The request ids come from
# the `a_request` fixture.
PAGES = [
    ("login", None, "/login"),
    ("register", "clerk", "/requests"),
    ("request", "coordinator", "/requests/{id}"),
    ("403", "analyst", "/requests/{id}"),
]


@pytest.fixture(scope="module")
def a_request(site):
    return site.create_request()


def open_page(page, site, role, path, a_request):
    if role:
        login(page, site.users[role])
    return page.goto(path.format(id=a_request["id"]))


@pytest.mark.parametrize("name,role,path", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_lang_skip_link_main_and_language_switch(page, site, a_request, name, role, path):
    open_page(page, site, role, path, a_request)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    skip = page.get_by_role("link", name="Skip to main content", exact=True)
    expect(skip).to_have_attribute("href", "#main")
    expect(page.locator("main#main")).to_have_count(1)
    # The skip link is the first thing the keyboard reaches.
    page.locator("body").focus()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    # The language switch: a small form with one button per language.
    switch = page.locator("form", has=page.get_by_role("button", name="Français", exact=True))
    expect(switch).to_have_count(1)
    expect(switch.get_by_role("button", name="English", exact=True)).to_have_count(1)
    sign_out = page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True)
    if role:
        expect(sign_out).to_be_visible()
        form = page.get_by_role("banner").locator("form").filter(
            has=page.get_by_role("button", name="Sign out", exact=True)
        )
        expect(form).to_have_attribute("method", re.compile("^post$", re.I))
        expect(form).to_have_attribute("action", re.compile(r"/logout$"))
    else:
        expect(sign_out).to_have_count(0)
