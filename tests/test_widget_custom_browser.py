"""A widget each site makes its own, in Chromium (docs/widget.md): custom pre-chat fields, the
emoji picker, the reply sound, the unread badge across page loads, and the widget settings'
contrast check. On SQLite and PostgreSQL (the API side also in test_widget_custom.py)."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from test_dashboard_browser import dashboard, owner_email  # noqa: F401  (fixture)
from test_widget_browser import (  # noqa: F401  (fixtures)
    PNG, browser, eventually, new_account, put_settings, widget)

import pytest

from conftest import _database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_root):
    """Issue 17's items are checked in Chromium on both databases (unlike most browser tests)."""
    yield from _database(request.param, tmp_root)
from test_widget_custom import FIELDS


# Counts the chimes instead of playing them (the widget makes its sound with WebAudio).
FAKE_AUDIO = """
window.__chimes = 0;
window.AudioContext = function () {
  var ctx = this;
  ctx.state = "running"; ctx.currentTime = 0; ctx.destination = {};
  var param = { setValueAtTime: function () {}, exponentialRampToValueAtTime: function () {} };
  ctx.createGain = function () { return { gain: param, connect: function () {} }; };
  ctx.createOscillator = function () {
    return { frequency: param, connect: function () {}, stop: function () {},
             start: function () { window.__chimes++; } };
  };
  ctx.resume = function () { return Promise.resolve(); };
};
"""


def attributes(botaz, account, visitor_id: str) -> dict:
    r = botaz.client.get(f"/api/visitors/{visitor_id}/attributes", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["attributes"]


def test_custom_prechat_fields(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Fields")
    put_settings(botaz, acme, {"preform": {"enabled": True, "fields": ["name"], "customFields": FIELDS}})
    w = widget(acme).goto()
    w.open()
    form = w.dialog.locator("form.preform")
    expect(form.get_by_label("Name")).to_be_visible()
    expect(form.get_by_label("Company (optional)")).to_be_visible()
    topic = form.get_by_label("What is it about?")
    expect(topic.locator("option")).to_have_text(["Choose…", "Billing", "Delivery"])
    consent = form.get_by_role("checkbox", name="I agree to the privacy policy")
    policy = form.get_by_role("link", name="Privacy policy (opens in a new tab)")
    expect(policy).to_have_attribute("href", "https://shop.example.com/privacy")
    expect(policy).to_have_attribute("target", "_blank")
    expect(policy).to_have_attribute("rel", "noopener noreferrer")
    start = form.get_by_role("button", name="Start chat")
    # Required fields are enforced in the page, one at a time, with focus on the first missing.
    form.get_by_label("Name").fill("Anar")
    start.click()
    expect(form.get_by_role("alert")).to_have_text("Please fill in this field.")
    expect(topic).to_be_focused()
    topic.select_option("Delivery")
    start.click()
    expect(form.get_by_role("alert")).to_have_text("Please tick this box to continue.")
    expect(consent).to_be_focused()
    expect(consent).to_have_attribute("aria-invalid", "true")
    consent.check()
    form.get_by_label("Company (optional)").fill("Caspian Coffee")
    start.click()
    expect(w.textbox).to_be_visible()
    expect(form).to_be_hidden()
    assert attributes(botaz, acme, w.visitor_id) == {
        "company": "Caspian Coffee", "topic": "Delivery", "consent": True}
    me = botaz.client.get(f"/api/visitors/{w.visitor_id}", headers=acme.headers).json()
    assert me["name"] == "Anar" and me["preformFilled"] is True
    w.reload()
    w.open()
    expect(w.textbox).to_be_visible()  # filled once: not asked again


def test_emoji_picker_with_the_keyboard(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Emoji")
    w = widget(acme).goto()
    w.open()
    w.textbox.fill("Helloworld")
    w.textbox.evaluate("el => el.setSelectionRange(5, 5)")
    toggle = w.page.get_by_role("button", name="Insert emoji")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    w.page.keyboard.press("Enter")
    picker = w.page.get_by_role("group", name="Insert emoji")
    expect(picker).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(picker.get_by_role("button")).to_have_count(24)
    expect(picker.get_by_role("button", name="smiling face", exact=True)).to_be_focused()
    w.page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="grinning face")).to_be_focused()
    w.page.keyboard.press("ArrowDown")  # six to a row
    expect(picker.get_by_role("button", name="crying face")).to_be_focused()
    # Escape closes the picker only, and gives the focus back to its button.
    w.page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(w.dialog).to_be_visible()
    expect(toggle).to_be_focused()
    w.page.keyboard.press("Enter")
    expect(picker.get_by_role("button", name="crying face")).to_be_focused()  # where it was
    w.page.keyboard.press("ArrowUp")
    w.page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(w.textbox).to_have_value("Hello\U0001F600world")  # at the caret
    expect(w.textbox).to_be_focused()
    w.send_button.click()
    expect(w.log.get_by_text("Hello\U0001F600world", exact=True)).to_be_visible()


def test_reply_sound_and_its_toggle(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Sound")
    w = widget(acme)
    w.page.add_init_script(FAKE_AUDIO)
    w.goto()
    w.wait_connected()
    chimes = lambda: w.page.evaluate("window.__chimes")
    botaz.send(acme, w.visitor_id, "A reply while closed")
    eventually(w.page, lambda: chimes() == 1, "a chime for a reply while the widget is closed")
    w.open()
    botaz.send(acme, w.visitor_id, "A reply while open")
    expect(w.log.get_by_text("A reply while open")).to_be_visible()
    assert chimes() == 1  # the visitor is looking: no sound
    toggle = w.page.get_by_role("button", name="Notification sound")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    w.page.keyboard.press("Escape")
    botaz.send(acme, w.visitor_id, "Another reply while closed")
    expect(w.launcher("Open chat (1 unread message)")).to_be_visible()
    assert chimes() == 1  # switched off
    w.reload()
    w.open()
    expect(w.page.get_by_role("button", name="Notification sound")).to_have_attribute("aria-pressed", "false")
    key = json.dumps(f"botaz:{acme.site_key}:sound")
    assert w.page.evaluate(f"localStorage.getItem({key})") == "off"
    # The account's default: off for a visitor who never chose.
    put_settings(botaz, acme, {"widget": {"sound": False}})
    fresh = widget(acme).goto()
    fresh.open()
    expect(fresh.page.get_by_role("button", name="Notification sound")).to_have_attribute("aria-pressed", "false")


def test_unread_badge_counts_replies_while_away(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Unread")
    w = widget(acme)
    # The page's own listener, queued before widget.js loads (docs/widget.md).
    w.page.add_init_script("window.__unread = []; window.Botaz = { q: [['on', ['unread', "
                           "function (n) { window.__unread.push(n); }]]] };")
    w.goto()
    w.wait_connected()
    visitor_id = w.visitor_id
    botaz.send(acme, visitor_id, "First reply")
    expect(w.launcher("Open chat (1 unread message)")).to_be_visible()
    # The visitor leaves the site; a reply arrives while no page is open.
    w.page.goto("about:blank")
    botaz.send(acme, visitor_id, "Second reply")
    w.goto()
    expect(w.launcher("Open chat (2 unread messages)")).to_be_visible()
    expect(w.page.locator("botaz-widget .badge")).to_have_text("2")
    eventually(w.page, lambda: w.page.evaluate("window.__unread").count(2) == 1,
               "Botaz.on('unread') to hear 2")
    w.launcher("Open chat (2 unread messages)").click()
    expect(w.page.locator("botaz-widget .badge")).to_be_hidden()
    eventually(w.page, lambda: w.page.evaluate("window.__unread")[-1] == 0, "the count to go to 0")
    eventually(w.page, lambda: all(m["seen"] for m in botaz.client.get(
        f"/api/visitors/{visitor_id}/messages", headers=acme.headers).json()["items"]),
        "the replies to be marked seen")
    w.page.keyboard.press("Escape")
    w.reload()
    expect(w.launcher("Open chat")).to_be_visible()  # seen: no badge on the next page
    expect(w.page.locator("botaz-widget .badge")).to_be_hidden()


def test_widget_settings_check_contrast_and_edit_fields(botaz, dashboard) -> None:
    acme = new_account(botaz, "Acme Look")
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    look = board.page.locator("#widget")
    colour = look.get_by_label("Colour")
    colour.fill("#808080")
    expect(look.locator(".contrast-note")).to_contain_text(
        "Contrast only 4.49:1 with white or black text: below WCAG AA")
    look.get_by_role("button", name="Save widget").click()
    expect(look.get_by_role("alert")).to_contain_text("below WCAG AA")
    assert botaz.client.get("/api/settings", headers=acme.headers).json()["widget"]["color"] != "#808080"
    colour.fill("#ffd60a")
    expect(look.locator(".contrast-note")).to_contain_text(
        "with the widget's black text: passes WCAG AA")
    look.get_by_label("Play a sound when an agent replies").uncheck()
    look.get_by_role("button", name="Save widget").click()
    eventually(board.page, lambda: botaz.client.get("/api/settings", headers=acme.headers)
               .json()["widget"].get("color") == "#ffd60a", "the colour to be saved")
    assert botaz.client.get("/api/settings", headers=acme.headers).json()["widget"]["sound"] is False

    form = board.page.locator("#preform")
    form.get_by_label("Ask visitors to introduce themselves before chatting").check()
    form.get_by_role("button", name="Add a field").click()
    form.get_by_label("Label").fill("Order number")
    form.get_by_role("button", name="Add a field").click()
    second = form.locator("fieldset.custom-field").nth(1)
    second.get_by_label("Label").fill("I accept the privacy policy")
    second.get_by_label("Type").select_option("checkbox")
    second.get_by_label("Privacy policy address").fill("https://acme.example/privacy")
    second.get_by_label("Required").check()
    second.get_by_label("Key").fill("consent")
    form.get_by_role("button", name="Save pre-chat form").click()
    expect(form.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    saved = botaz.client.get("/api/settings", headers=acme.headers).json()["preform"]
    assert saved["customFields"] == [
        {"key": "field-1", "label": "Order number", "type": "text", "required": False},
        {"key": "consent", "label": "I accept the privacy policy", "type": "checkbox",
         "required": True, "privacyUrl": "https://acme.example/privacy"}]
    # The server's sentence when a field is wrong.
    second.get_by_label("Key").fill("Bad Key")
    form.get_by_role("button", name="Save pre-chat form").click()
    expect(form.get_by_role("alert")).to_contain_text("key must be 1 to 40 lower-case letters")
    board.page.reload()
    expect(board.page.locator("#preform fieldset.custom-field")).to_have_count(2)



def test_logo_and_agent_avatars(botaz, widget, dashboard) -> None:
    acme = new_account(botaz, "Acme Pictures")
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    look = board.page.locator("#widget")
    expect(look.get_by_role("group", name="Logo").get_by_text("None")).to_be_visible()
    look.locator("input[type=file]").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": PNG})
    expect(look.get_by_role("img", name="Your logo")).to_be_visible()
    look.locator("input[type=file]").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": b"<svg xmlns='http://www.w3.org/2000/svg'/>"})
    expect(look.get_by_role("alert")).to_contain_text("Only PNG, JPEG and WebP")
    prefs = board.page.locator("#preferences")
    prefs.locator("input[type=file]").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": PNG})
    expect(prefs.get_by_role("img", name="Your picture")).to_be_visible()
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["logoUrl"] and config["avatars"] == {acme.agent_id: config["avatars"][acme.agent_id]}

    w = widget(acme).goto()
    w.wait_connected()
    botaz.send(acme, w.visitor_id, "Hello from a face")
    w.open()
    logo = w.page.locator("botaz-widget .header .avatar img")
    expect(logo).to_have_attribute("src", botaz.url + config["logoUrl"])
    eventually(w.page, lambda: logo.evaluate("img => img.complete && img.naturalWidth === 1"),
               "the logo to load")
    row = w.log.locator(".row.theirs", has_text="Hello from a face")
    expect(row.locator("img.av")).to_have_attribute("src", botaz.url + config["avatars"][acme.agent_id])
    w.say("And my reply")
    expect(w.log.locator(".row.mine img.av")).to_have_count(0)  # the visitor has no picture
    # Without a logo the header shows the title's first letter again.
    look.get_by_role("button", name="Remove").click()
    expect(look.get_by_role("group", name="Logo").get_by_text("None")).to_be_visible()
    w.reload()
    w.open()
    expect(w.page.locator("botaz-widget .header .avatar")).to_have_text("C")  # "Chat with us"
