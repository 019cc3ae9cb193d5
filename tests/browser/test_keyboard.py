"""The main flow with the keyboard alone: sign in, open the register, open a
request, go to the stalled list and record a follow-up, then sign out —
Tab, typing, arrow keys and Enter only, checking at each step that the
focused element is visibly outlined (WCAG 2.4.7)."""

import re

from playwright.sync_api import Page, expect


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Presses Tab until the focused element matches `selector`; fails if it
    never does, or if the element it reaches shows no focus outline."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth]; }"
            )
            assert outline[0] != "none" and outline[1] != "0px", f"{selector} has no visible focus: {outline}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_main_flow_with_the_keyboard_alone(page, site):
    stalled = site.create_request(sent_days_ago=200)
    user = site.users["admin"]
    page.goto("/login")

    tab_to(page, "input[name=email]")
    page.keyboard.type(user.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(user.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/requests$"))

    tab_to(page, f"table a[href='/requests/{stalled['id']}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{stalled['id']}")
    expect(page.locator("h1")).to_contain_text(stalled["title"])

    tab_to(page, "nav a[href='/alerts']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/alerts")
    tab_to(page, "a[href='/alerts?scope=all']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/alerts?scope=all")

    tab_to(page, f"select#channel-{stalled['id']}")
    page.keyboard.press("ArrowDown")  # the second way: the ministry of justice
    tab_to(page, f"input#note-{stalled['id']}")
    page.keyboard.type("Chased by telephone")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"recorded=1"))
    expect(page.get_by_role("status")).to_contain_text("The follow-up was recorded")

    tab_to(page, "form[action='/logout'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login"))
    events = site.api("GET", f"/requests/{stalled['id']}/events")["items"]
    follow_up = [e for e in events if e["kind"] == "follow_up"]
    assert follow_up and follow_up[0]["note"] == "Chased by telephone", events
