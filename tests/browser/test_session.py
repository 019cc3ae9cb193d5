"""Idle sessions expire (a service of its own with a 3-second idle timeout)."""

import re
import time

import pytest
from playwright.sync_api import expect

from conftest import login


@pytest.fixture
def idle_site(site_with):
    return site_with("idle", MLA__WEB__SESSION_IDLE_SECONDS="3")


def test_an_idle_session_expires_and_says_so(new_page, idle_site):
    page = new_page(base_url=idle_site.url)
    login(page, idle_site.users["clerk"])
    time.sleep(4)
    page.goto("/requests")
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))
    expect(page.locator("main")).to_contain_text(re.compile(r"session.*expired", re.I))


def test_activity_keeps_a_session_alive_past_the_idle_timeout(new_page, idle_site):
    page = new_page(base_url=idle_site.url)
    login(page, idle_site.users["clerk"])
    # Four seconds in all, never more than one without a request.
    for _ in range(4):
        time.sleep(1)
        page.goto("/requests")
        expect(page).to_have_url(re.compile(r"/requests$"))
