"""An admin invites a user in the browser; the invitee opens the emailed
link, chooses a password and signs in."""

import email
import email.policy
import glob
import os
import re

from playwright.sync_api import expect

from conftest import login


def invitation_links(outbox: str, to: str) -> set[str]:
    links = set()
    for path in glob.glob(os.path.join(outbox, "*.eml")):
        with open(path, "rb") as f:
            mail = email.message_from_binary_file(f, policy=email.policy.default)
        if mail["To"] == to:
            body = mail.get_body(preferencelist=("plain",)).get_content()
            links |= set(re.findall(r"https?://\S+/invitation/[A-Za-z0-9_-]+", body))
    return links


def test_an_invited_user_chooses_a_password_and_signs_in(new_page, site):
    admin = new_page()
    login(admin, site.users["admin"])
    admin.goto("/admin/users")
    email = f"invitee-{os.getpid()}@example.org"
    admin.get_by_label("Name", exact=True).fill("Invited Clerk")
    admin.get_by_label("Email", exact=True).fill(email)
    admin.get_by_label("Role", exact=True).select_option("clerk")
    admin.get_by_role("button", name="Invite").click()
    expect(admin.get_by_role("status")).to_contain_text("The invitation was sent.")
    expect(admin.locator("table.users")).to_contain_text(email)

    links = invitation_links(site.server.outbox, email)
    assert len(links) == 1, links
    path = "/invitation/" + links.pop().rsplit("/invitation/", 1)[1]
    invitee = new_page()
    invitee.goto(path)
    expect(invitee.locator("main")).to_contain_text(email)
    invitee.get_by_label("New password", exact=True).fill("A-long-enough-passphrase")
    invitee.get_by_label("New password, once more").fill("A-long-enough-passphrase")
    invitee.get_by_role("button", name="Save the password").click()
    expect(invitee.get_by_role("status")).to_contain_text("Your password is saved")
    invitee.locator("input[name=email]").fill(email)
    invitee.locator("input[name=password]").fill("A-long-enough-passphrase")
    invitee.get_by_role("button", name="Sign in").click()
    invitee.wait_for_url(re.compile(r"/requests$"))
