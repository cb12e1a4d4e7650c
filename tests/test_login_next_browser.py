"""After signing in, `next` may only lead to a path of this site, as Chromium parses it (issue 13).

Tabs, newlines and backslashes are forgiven by URL parsing, so `/%09/evil.example/x` once passed
login.js's string checks and landed on evil.example. evil.example is answered by the test itself
(Playwright routes it), so a redirect that escapes shows up as the page's URL.
"""

from __future__ import annotations

import pytest

from tests.test_dashboard_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    Browser,
    browser,
    database_url,
    new_account,
    owner_email,
)

CASES = [
    ("/%09/evil.example/x", "/"),
    ("/%0a/evil.example", "/"),
    ("/%0d%0a/evil.example", "/"),
    ("/%5Cevil.example", "/"),
    ("/%5C%09evil.example", "/"),
    ("//evil.example", "/"),
    ("javascript:alert(document.domain)", "/"),
    ("https://evil.example", "/"),
    ("https:evil.example", "/"),
    ("/chat/abc", "/chat/abc"),
    ("/settings%3Ftab%3Dwidget%23team", "/settings?tab=widget#team"),
]


@pytest.mark.parametrize("next_param,lands", CASES)
def test_next_after_sign_in_stays_on_this_site(botaz, browser: Browser, next_param: str,
                                                lands: str) -> None:
    account = new_account(botaz)
    email = owner_email(botaz, account)
    context = browser.new_context()
    try:
        context.set_default_timeout(10_000)
        escaped: list[str] = []

        def evil(route) -> None:
            escaped.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<h1>evil</h1>")

        context.route("**://evil.example/**", evil)
        context.route("https://evil.example", evil)
        page = context.new_page()
        page.goto(f"{botaz.url}/login?next={next_param}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        assert not escaped, f"next={next_param!r} left the site: {escaped}"
        assert page.url == botaz.url + lands, page.url
    finally:
        context.close()
