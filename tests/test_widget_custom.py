"""A widget each site makes its own (docs/widget.md): custom pre-chat fields, the accent colour's
contrast, the sound setting. API level, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.test_sockets import vheaders
from tests.test_widget_features import PNG

FIELDS = [
    {"key": "company", "label": "Company", "type": "text"},
    {"key": "topic", "label": "What is it about?", "type": "select", "required": True,
     "options": ["Billing", "Delivery"]},
    {"key": "consent", "label": "I agree to the privacy policy", "type": "checkbox",
     "required": True, "privacyUrl": "https://shop.example.com/privacy"},
]


def put(botaz, account, body):
    return botaz.client.put("/api/settings", headers=account.headers, json=body)


def test_custom_fields_are_validated(botaz) -> None:
    acme = botaz.account()
    bad = [
        ([{"key": "Company!", "label": "x", "type": "text"}], "key"),
        ([{"key": "email", "label": "x", "type": "text"}], "key"),
        ([{"key": "a", "label": "x", "type": "text"}, {"key": "a", "label": "y", "type": "text"}], "twice"),
        ([{"key": "a", "label": "x" * 81, "type": "text"}], "label"),
        ([{"key": "a", "label": "  ", "type": "text"}], "label"),
        ([{"key": "a", "label": "x", "type": "date"}], "type"),
        ([{"key": "a", "label": "x", "type": "select"}], "options"),
        ([{"key": "a", "label": "x", "type": "select", "options": []}], "options"),
        ([{"key": "a", "label": "x", "type": "text", "options": ["y"]}], "options"),
        ([{"key": "a", "label": "x", "type": "checkbox", "privacyUrl": "javascript:alert(1)"}], "privacyUrl"),
        ([{"key": "a", "label": "x", "type": "text", "privacyUrl": "https://x.example/p"}], "privacyUrl"),
        ([{"key": f"k{i}", "label": "x", "type": "text"} for i in range(11)], "at most 10"),
        ([{"label": "x", "type": "text"}], "key"),
        ("nope", "customFields"),
    ]
    for fields, word in bad:
        r = put(botaz, acme, {"preform": {"customFields": fields}})
        assert r.status_code == 400, (fields, r.text)
        assert r.json()["status"] == "error" and word in r.json()["message"], (word, r.json())
    # Without custom fields the settings and the widget config keep their keys exactly.
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["preform"] == {"enabled": False, "fields": ["name", "email"]}
    r = put(botaz, acme, {"preform": {"enabled": True, "fields": ["name"], "customFields": FIELDS}})
    assert r.status_code == 200, r.text
    saved = r.json()["preform"]["customFields"]
    assert saved[0] == {"key": "company", "label": "Company", "type": "text", "required": False}
    assert saved[1]["options"] == ["Billing", "Delivery"] and saved[2]["privacyUrl"].endswith("/privacy")
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["preform"]["customFields"] == saved
    r = put(botaz, acme, {"preform": {"customFields": []}})
    assert "customFields" not in r.json()["preform"]


def test_preform_answers_become_attributes(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    post = lambda body: botaz.client.post("/widget/v1/preform", headers=vheaders(v), json=body)
    # Custom keys are refused while the account has none.
    r = post({"name": "Anar", "company": "Caspian"})
    assert r.status_code == 400 and "company is not a field" in r.json()["message"]
    assert put(botaz, acme, {"preform": {"enabled": True, "fields": ["name"],
                                         "customFields": FIELDS}}).status_code == 200
    base = {"name": "Anar", "topic": "Billing", "consent": True}
    for body, word in [({**base, "topic": None}, "topic is required"),
                       ({**base, "topic": "Other"}, "topic must be one of"),
                       ({**base, "consent": False}, "consent must be ticked"),
                       ({**base, "consent": "yes"}, "true or false"),
                       ({**base, "company": 5}, "company must be a text"),
                       ({**base, "company": "x" * 501}, "at most 500"),
                       ({**base, "age": "40"}, "age is not a field"),
                       ({**base, "name": ""}, "name is required")]:
        r = post(body)
        assert r.status_code == 400 and word in r.json()["message"], (body, r.json())
    me = botaz.client.get("/widget/v1/me", headers=vheaders(v)).json()
    assert me["preformFilled"] is False
    attrs = botaz.client.get(f"/api/visitors/{v['visitorId']}/attributes", headers=acme.headers).json()
    assert attrs["attributes"] == {}
    r = post({**base, "company": " Caspian Coffee "})
    assert r.status_code == 200, r.text
    visitor = r.json()
    # The contract's visitor object: exactly the keys of the seed, no answers mixed in.
    assert visitor == botaz.client.get("/widget/v1/me", headers=vheaders(v)).json()
    assert visitor["preformFilled"] is True and visitor["name"] == "Anar"
    assert not {"company", "topic", "consent"} & set(visitor)
    attrs = botaz.client.get(f"/api/visitors/{v['visitorId']}/attributes", headers=acme.headers).json()
    assert attrs["attributes"] == {"company": "Caspian Coffee", "topic": "Billing", "consent": True}
    # The contract's three fields alone still work (an account asking only for them).
    assert put(botaz, acme, {"preform": {"customFields": []}}).status_code == 200
    other = botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/preform", headers=vheaders(other), json={"name": "Leyla"})
    assert r.status_code == 200 and r.json()["preformFilled"] is True


def test_accent_colours_must_stay_readable(botaz) -> None:
    acme = botaz.account()
    # Mid-tones: neither white nor the widget's near-black text reaches 4.5:1 on them.
    for color in ("#808080", "#7a7a7a", "#e0474c"):
        r = put(botaz, acme, {"widget": {"color": color}})
        assert r.status_code == 400, color
        assert "contrast" in r.json()["message"] and color in r.json()["message"]
    # Dark colours get white text, light ones near-black: both readable.
    for color in ("#1d4ed8", "#ffd60a", "#16a34a", "#000000", "#ffffff"):
        r = put(botaz, acme, {"widget": {"color": color}})
        assert r.status_code == 200 and r.json()["widget"]["color"] == color, (color, r.text)


def test_sound_setting(botaz) -> None:
    acme = botaz.account()
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert "sound" not in config["widget"]  # default: on
    assert put(botaz, acme, {"widget": {"sound": "off"}}).status_code == 400
    assert put(botaz, acme, {"widget": {"sound": False}}).json()["widget"]["sound"] is False
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["widget"]["sound"] is False



def test_logo_and_avatars(botaz) -> None:
    acme = botaz.account()
    helper = acme.add_agent()
    helper_headers = {"Authorization": f"Bearer {helper['apiToken']}"}
    config = lambda: botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config()["logoUrl"] is None and config()["avatars"] == {}
    upload = lambda path, headers, data=PNG, kind="image/png": botaz.client.put(
        path, content=data, headers=headers | {"Content-Type": kind})
    # Owners only for the logo; PNG, JPEG, WebP only, checked by their bytes; 256 KB at most.
    r = upload("/api/settings/logo", helper_headers)
    assert r.status_code == 403 and r.json()["status"] == "error"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = upload("/api/settings/logo", acme.headers, svg, "image/svg+xml")
    assert r.status_code == 415 and "SVG" in r.json()["message"]
    r = upload("/api/settings/logo", acme.headers, b"<html>not a png</html>")
    assert r.status_code == 400 and "not a PNG" in r.json()["message"]
    r = upload("/api/settings/logo", acme.headers, PNG + b"0" * 256 * 1024)
    assert r.status_code == 413 and "256 KB" in r.json()["message"]
    r = upload("/api/settings/logo", acme.headers)
    assert r.status_code == 200, r.text
    logo = r.json()["url"]
    assert logo.startswith("/images/")
    got = botaz.client.get(logo)  # public: the widget shows it on any website
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert "immutable" in got.headers["cache-control"] and "max-age=31536000" in got.headers["cache-control"]
    assert got.headers["x-content-type-options"] == "nosniff"  # (added to every response)
    # Each agent uploads their own avatar; the widget's config maps agent IDs to pictures.
    r = upload("/auth/me/avatar", helper_headers)
    assert r.status_code == 200
    avatar = r.json()["url"]
    assert config()["logoUrl"] == logo and config()["avatars"] == {helper["agentId"]: avatar}
    assert "@" not in str(config())  # no agent's email reaches the widget
    mine = botaz.client.get("/api/settings/images", headers=helper_headers).json()
    assert mine == {"logoUrl": logo, "avatarUrl": avatar}
    # A new upload is a new address; the old one is gone. Removing leaves the initial.
    r = upload("/api/settings/logo", acme.headers)
    assert r.json()["url"] != logo and botaz.client.get(logo).status_code == 404
    r = botaz.client.delete("/api/settings/logo", headers=acme.headers)
    assert r.status_code == 200 and r.json() == {"url": None} and config()["logoUrl"] is None
    assert botaz.client.delete("/auth/me/avatar", headers=helper_headers).json() == {"url": None}
    assert config()["avatars"] == {} and botaz.client.get(avatar).status_code == 404
    assert botaz.client.get("/images/nope!").status_code == 404
