"""Static files served like a CDN: brotli/gzip by Accept-Encoding, ETag/304, immutable hashed URLs
(botaz/api/static.py, botaz/api/dashboard.py; docs/design.md "Static files")."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import httpx
import pytest

from botaz.api.static import Variant, Asset, choose

WEB = Path(__file__).resolve().parent.parent / "botaz" / "web"
WIDGET = (WEB / "widget.js").read_bytes()
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda b: b}


def raw_get(client: httpx.Client, url: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise decompress it)."""
    with client.stream("GET", url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def signed_in(botaz) -> httpx.Client:
    account = botaz.account()
    agents = botaz.client.get("/api/agents", headers=account.headers).json()["items"]
    client = httpx.Client(base_url=botaz.url, timeout=10)
    r = client.post("/auth/login", json={"email": agents[0]["email"], "password": "secret-pass"})
    assert r.status_code == 200, r.text
    return client


@pytest.mark.parametrize(("accept", "encoding"), [
    ("br", "br"),
    ("gzip", "gzip"),
    ("gzip, deflate, br", "br"),
    ("br;q=0.5, gzip;q=0.9", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("*", "br"),
    ("*;q=0.1, br;q=0", "gzip"),
    ("identity", None),
    ("deflate", None),
    ("br;q=0, gzip;q=0", None),
])
def test_widget_js_by_accept_encoding(botaz, accept: str, encoding: str | None) -> None:
    r, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": accept})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == encoding
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("text/javascript")
    assert int(r.headers["content-length"]) == len(body)
    assert DECODE[encoding](body) == WIDGET
    if encoding:
        assert len(body) < len(WIDGET) / 3
    assert r.headers["accept-ranges"] == "none"


def test_etag_and_304_per_variant(botaz) -> None:
    tags = {}
    for accept in ("br", "gzip", "identity"):
        r, _ = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": accept})
        tags[accept] = r.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{24}(-br|-gzip)?"', tags[accept])
        again, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": accept,
                                                             "If-None-Match": tags[accept]})
        assert again.status_code == 304 and body == b""
        assert again.headers["etag"] == tags[accept]
        assert again.headers["cache-control"] == "public, max-age=300"
    assert len(set(tags.values())) == 3  # one strong tag per encoding
    # Another variant's tag, or a stale one, gets the whole file.
    r, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": "br",
                                                     "If-None-Match": tags["gzip"]})
    assert r.status_code == 200 and brotli.decompress(body) == WIDGET
    r, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": "gzip",
                                                     "If-None-Match": f'"nope", {tags["gzip"]}'})
    assert r.status_code == 304 and body == b""


def test_head_and_ranges(botaz) -> None:
    r = botaz.client.head("/widget.js", headers={"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-encoding"] == "br"
    full, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": "br"})
    assert r.headers["content-length"] == full.headers["content-length"]
    assert r.headers["etag"] == full.headers["etag"]
    # Ranges are not served: the whole file, and the server says so.
    r, body = raw_get(botaz.client, "/widget.js", **{"Accept-Encoding": "identity",
                                                     "Range": "bytes=0-99"})
    assert r.status_code == 200 and body == WIDGET and r.headers["accept-ranges"] == "none"


def test_small_and_binary_files_are_not_compressed(botaz) -> None:
    r, body = raw_get(botaz.client, "/dashboard/assets/favicon.svg", **{"Accept-Encoding": "br"})
    assert r.status_code == 200 and "content-encoding" not in r.headers  # 254 bytes
    assert "vary" not in r.headers and r.headers["etag"]
    r, body = raw_get(botaz.client, "/dashboard/assets/icon-512.png", **{"Accept-Encoding": "br"})
    assert "content-encoding" not in r.headers
    assert body == (WEB / "dashboard" / "icon-512.png").read_bytes()


def test_dashboard_pages_use_immutable_versioned_assets(botaz) -> None:
    client = signed_in(botaz)
    try:
        r = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
        html = r.text
        version = re.search(r'/dashboard/assets/v/([0-9a-f]{12})/app\.js', html).group(1)
        assert '"/dashboard/assets/dashboard.css' not in html  # every asset URL is versioned
        preloads = re.findall(r'rel="modulepreload" href="/dashboard/assets/v/\w+/([\w.-]+)"', html)
        assert {"api.js", "dom.js", "state.js", "inbox.js", "chat.js"} <= set(preloads)
        assert not {"settings.js", "reports.js", "articles.js", "agents.js"} & set(preloads)
        # Each route preloads its own page module.
        settings = client.get("/settings").text
        assert 'href="/dashboard/assets/v/%s/settings.js"' % version in settings
        assert "inbox.js" not in settings
        # The page revalidates.
        again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    finally:
        client.close()

    r, body = raw_get(botaz.client, f"/dashboard/assets/v/{version}/app.js", **{"Accept-Encoding": "br"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "br"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert brotli.decompress(body) == (WEB / "dashboard" / "app.js").read_bytes()
    r = botaz.client.get(f"/dashboard/assets/v/{version}/dashboard.css")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/css")
    # The unversioned URL and an outdated version are revalidated, never immutable.
    for url in ("/dashboard/assets/app.js", "/dashboard/assets/v/000000000000/app.js"):
        r = botaz.client.get(url)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache", url
    for url in (f"/dashboard/assets/v/{version}/nope.js", f"/dashboard/assets/v/{version}/../../files.py",
                "/dashboard/assets/v/zzz/app.js"):
        assert botaz.client.get(url).status_code == 404, url
    # widget.js's URL is fixed by the embed tag: never immutable.
    assert "immutable" not in botaz.client.get("/widget.js").headers["cache-control"]


def test_login_page_loads_only_login_code(botaz) -> None:
    html = botaz.client.get("/login").text
    modules = re.findall(r'/dashboard/assets/v/\w+/([\w.-]+\.js)', html)
    assert sorted(modules) == ["api.js", "login.js"]


def test_service_worker_and_manifest_revalidate(botaz) -> None:
    r = botaz.client.get("/sw.js")
    assert r.status_code == 200 and r.headers["service-worker-allowed"] == "/"
    assert r.headers["cache-control"] == "no-cache"
    assert botaz.client.get("/sw.js", headers={"If-None-Match": r.headers["etag"],
                                               "Accept-Encoding": r.headers.get("content-encoding", "identity")}
                            ).status_code == 304
    r = botaz.client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")


def test_choose() -> None:
    both = Asset("text/javascript", {"identity": Variant(b"x", '"a"'), "br": Variant(b"", '"a-br"'),
                                     "gzip": Variant(b"", '"a-gzip"')})
    plain = Asset("image/png", {"identity": Variant(b"x", '"a"')})
    assert choose(both, None) == "identity"
    assert choose(both, "") == "identity"
    assert choose(both, "GZIP;Q=1") == "gzip"
    assert choose(both, "gzip;q=0.8, identity;q=0.9") == "identity"
    assert choose(both, "br;q=bogus, gzip") == "gzip"
    assert choose(both, "identity;q=0") == "identity"  # nothing else acceptable: still sent
    assert choose(plain, "br") == "identity"


def test_a_file_is_compressed_once_for_concurrent_requests(monkeypatch, tmp_path) -> None:
    import asyncio

    from botaz.api import static

    calls = []
    real = static.build
    monkeypatch.setattr(static, "build", lambda data, media: calls.append(1) or real(data, media))
    path = tmp_path / "big.js"
    path.write_bytes(WIDGET)

    async def twenty() -> list:
        return await asyncio.gather(*[static.file_asset(path, "text/javascript") for _ in range(20)])

    assets = asyncio.run(twenty())
    assert len(calls) == 1 and len({id(a) for a in assets}) == 1
    assert sorted(assets[0].variants) == ["br", "gzip", "identity"]
    assert asyncio.run(static.file_asset(path, "text/javascript")) is assets[0]  # cached
    path.write_bytes(WIDGET + b"\n// changed\n")
    changed = asyncio.run(static.file_asset(path, "text/javascript"))
    assert len(calls) == 2 and gzip.decompress(changed.variants["gzip"].body).endswith(b"// changed\n")
