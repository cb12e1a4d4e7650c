"""The dashboard in az, en, ru and tr, in Chromium.

Every t("...") / tn(n, "...", "...") / tp("...") key of the dashboard's modules, and every
data-i18n text of its HTML pages, must be in each catalogue (locales/az.js, ru.js, tr.js) with the
same {placeholders}; the widget's four string tables must have the same keys. An agent's `locale`
preference switches the dashboard's words; English stays as it was (the contract's names)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.test_dashboard_browser import (  # noqa: F401 - fixtures used by name
    browser,
    dashboard,
    database_url,
    new_account,
    new_visitor,
    owner_email,
)

WEB = Path(__file__).resolve().parent.parent / "botaz" / "web"
DASHBOARD = WEB / "dashboard"
LOCALES = ("az", "ru", "tr")
# A JavaScript string literal in double quotes (keys are always literals, never built).
STR = r'"((?:[^"\\\n]|\\.)*)"'
CALL = r"(?<![\w$])(?<![\w)\]]\.)"
T_KEYS = re.compile(CALL + r"(?:t|tp)\(\s*" + STR)
TN_KEYS = re.compile(CALL + r"tn\(\s*[^,()]+(?:\([^()]*\))?[^,()]*,\s*" + STR + r"\s*,\s*" + STR)
HTML_KEYS = re.compile(r"data-i18n>([^<]+)<")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def literal(text: str) -> str:
    return json.loads(f'"{text}"')


def dashboard_keys() -> tuple[dict[str, str], dict[str, str]]:
    """{key: file} of t()/tp() and the HTML pages, and {plural key: singular} of tn()."""
    keys: dict[str, str] = {}
    plurals: dict[str, str] = {}
    for path in sorted(DASHBOARD.glob("*.js")):
        if path.name in ("i18n.js", "sw.js"):
            continue
        source = path.read_text(encoding="utf-8")
        for m in T_KEYS.finditer(source):
            keys[literal(m.group(1))] = path.name
        for m in TN_KEYS.finditer(source):
            plurals[literal(m.group(2))] = literal(m.group(1))
    for path in sorted(DASHBOARD.glob("*.html")):
        for m in HTML_KEYS.finditer(path.read_text(encoding="utf-8")):
            keys[m.group(1)] = path.name
    return keys, plurals


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def catalogues(page) -> dict[str, dict[str, Any]]:
    """Each catalogue as the browser loads it (the module registers it with i18n.js)."""
    return page.evaluate("""async (locales) => {
      const i18n = await import("/dashboard/assets/i18n.js");
      const out = {};
      for (const code of locales) {
        await import(`/dashboard/assets/locales/${code}.js`);
        out[code] = i18n.catalogue(code);
      }
      return out;
    }""", list(LOCALES))


def test_every_locale_has_every_key_with_its_placeholders(botaz, dashboard) -> None:
    keys, plurals = dashboard_keys()
    # The scan finds the dashboard's words (a broken pattern would find few).
    assert len(keys) > 500 and {"Send", "Ban", "Sign in", "Message", "Agents"} <= set(keys)
    assert "{n} visitors on your website." in plurals
    board = dashboard()
    board.goto("/login")
    loaded = catalogues(board.page)
    problems: list[str] = []
    for code in LOCALES:
        table = loaded[code]
        for key, where in keys.items():
            text = table.get(key)
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{code}: missing {key!r} ({where})")
            elif placeholders(text) != placeholders(key):
                problems.append(f"{code}: {key!r} has {sorted(placeholders(text))}")
        for other, one in plurals.items():
            entry = table.get(other)
            forms = [entry] if isinstance(entry, str) else list((entry or {}).values())
            # Russian needs one, few and many; languages whose nouns keep their form, one string.
            if code == "ru" and not (isinstance(entry, dict) and {"one", "few", "many"} <= set(entry)):
                problems.append(f"ru: {other!r} needs one, few and many")
            if not forms:
                problems.append(f"{code}: missing plural {other!r}")
            for text in forms:
                if placeholders(text) != placeholders(other) or placeholders(one) != placeholders(other):
                    problems.append(f"{code}: plural {other!r} form {text!r}")
        stale = set(table) - set(keys) - set(plurals)
        if stale:
            problems.append(f"{code}: keys no module uses any more: {sorted(stale)[:5]}")
    assert not problems, "\n".join(problems[:40])


def object_literal(source: str, name: str) -> str:
    """The text of `var NAME = {...}` in widget.js, braces matched outside strings."""
    i = source.index("{", source.index(f"var {name} = "))
    depth, quote, j = 0, None, i
    while True:
        c = source[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return source[i:j + 1]
        j += 1


def test_widget_string_tables_have_the_same_keys() -> None:
    """widget.js's tables (STRINGS, HELP_T): en, az, ru and tr with the same keys each."""
    source = (WEB / "widget.js").read_text(encoding="utf-8")
    for name in ("STRINGS", "HELP_T"):
        script = f"const t = ({object_literal(source, name)}); " \
                 "console.log(JSON.stringify(Object.fromEntries(Object.entries(t).map(" \
                 "([k, v]) => [k, Object.keys(v).sort()]))));"
        out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
        tables = json.loads(out.stdout)
        assert sorted(tables) == ["az", "en", "ru", "tr"], name
        assert len(tables["en"]) > 5
        for code in ("az", "ru", "tr"):
            assert tables[code] == tables["en"], (
                f"{name}.{code}: missing {sorted(set(tables['en']) - set(tables[code]))}, "
                f"extra {sorted(set(tables[code]) - set(tables['en']))}")


NAV = {  # the header's links and buttons in each language
    "en": {"Visitors", "Agents", "Settings", "Log out", "Send"},
    "az": {"Ziyarətçilər", "Operatorlar", "Tənzimləmələr", "Çıxış", "Göndər"},
    "ru": {"Посетители", "Операторы", "Настройки", "Выйти", "Отправить"},
    "tr": {"Ziyaretçiler", "Temsilciler", "Ayarlar", "Çıkış yap", "Gönder"},
}


LOG_OUT = {"en": "Log out", "az": "Çıxış", "ru": "Выйти", "tr": "Çıkış yap"}


def set_locale(botaz, account, locale: str | None) -> None:
    r = botaz.client.put("/auth/me/preferences", headers=account.headers, json={"locale": locale})
    assert r.status_code == 200 and r.json()["locale"] == locale


def test_the_agents_language_translates_the_dashboard(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, name="Nigar")
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Agents")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"

    for code in ("az", "ru", "tr", "en"):
        set_locale(botaz, acme, code)
        page.goto(f"{botaz.url}/chat/{visitor['visitorId']}")
        expect(page.get_by_role("button", name=LOG_OUT[code], exact=True)).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == code
        # The composer's accessible names follow the language too.
        message = {"en": "Message", "az": "Mesaj", "ru": "Сообщение", "tr": "Mesaj"}[code]
        expect(page.get_by_role("textbox", name=message, exact=True)).to_be_visible()
        texts = set(page.evaluate("""() => [...document.querySelectorAll(
          'nav a, header button, form.composer button[type=submit]')].map((el) => el.textContent.trim())""")
                    + page.evaluate("""() => [...document.querySelectorAll('nav a')].map(
          (a) => a.firstChild && a.firstChild.textContent.trim())"""))
        missing = NAV[code] - texts
        assert not missing, f"{code}: {missing} not in {sorted(texts)}"
        if code != "en":
            assert not ({"Visitors", "Settings", "Log out"} & texts), f"{code}: English left: {texts}"
    # English again: the contract's accessible names.
    expect(board.message_box).to_be_visible()
    expect(board.send).to_be_visible()
    expect(page.get_by_role("button", name="Ban", exact=True)).to_be_visible()


def test_language_selector_and_browser_default(botaz, dashboard) -> None:
    acme = new_account(botaz)
    set_locale(botaz, acme, None)
    # No preference: the browser's language (a Russian browser gets Russian, login page too).
    board = dashboard(locale="ru-RU")
    page = board.page
    board.goto("/login")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    page.get_by_label("Эл. почта").fill(owner_email(botaz, acme))
    page.get_by_label("Пароль").fill("secret-pass")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()

    # Settings → My preferences → Language: Azərbaycanca, stored and applied at once.
    page.get_by_role("navigation", name="Основная").get_by_role("link", name="Настройки").click()
    page.get_by_label("Язык", exact=True).select_option("az")
    expect(page.get_by_role("button", name="Çıxış")).to_be_visible()
    assert botaz.client.get("/auth/me/preferences", headers=acme.headers).json()["locale"] == "az"
    # The browser's language again.
    page.get_by_label("Dil", exact=True).select_option("")
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    assert botaz.client.get("/auth/me/preferences", headers=acme.headers).json()["locale"] is None

    # An English browser gets English with no preference.
    english = dashboard()
    english.sign_in(owner_email(botaz, acme))
    expect(english.page.get_by_role("navigation", name="Main").get_by_role("link", name="Agents")).to_be_visible()


def test_find_visitors_by_attribute(botaz, dashboard) -> None:
    acme = new_account(botaz)
    pro = new_visitor(botaz, acme, name="Pro Customer")
    free = new_visitor(botaz, acme, name="Free Customer")
    for v, plan in ((pro, "pro"), (free, "free")):
        r = botaz.client.post("/widget/v1/attributes", headers={"Authorization": f"Bearer {v['visitorToken']}"},
                              json={"attributes": {"plan": plan, "company": "Acme"}})
        assert r.status_code == 200
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/visitors")
    finder = page.get_by_role("region", name="Find visitors by attribute")
    attribute = finder.get_by_label("Attribute", exact=True)
    expect(attribute.locator("option")).to_have_text(["company (2 visitors)", "plan (2 visitors)"])
    attribute.select_option("plan")
    finder.get_by_label("Value").fill("pro")
    finder.get_by_role("button", name="Find visitors").click()
    expect(finder.get_by_role("link")).to_have_text(["Pro Customer"])
    finder.get_by_label("Value").fill("enterprise")
    finder.get_by_role("button", name="Find visitors").click()
    expect(finder.get_by_role("status")).to_have_text("No visitor has plan = enterprise.")
    attribute.select_option("company")
    finder.get_by_label("Value").fill("Acme")
    finder.get_by_role("button", name="Find visitors").click()
    expect(finder.get_by_role("link")).to_have_text(["Free Customer", "Pro Customer"])
    finder.get_by_role("link", name="Pro Customer").click()
    page.wait_for_url(f"{botaz.url}/chat/{pro['visitorId']}")
