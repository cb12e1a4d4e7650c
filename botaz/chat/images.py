"""The account's logo (owners) and each agent's avatar (their own), shown in the widget.

Only PNG, JPEG and WebP of at most 256 KB, recognised by their first bytes (the Content-Type
must agree); SVG is refused, since an SVG is a document that can carry scripts. Served at
/images/<id> to anyone (the widget runs on any website), under IDs that change with each upload.
"""

from __future__ import annotations

import base64
from typing import Any

from ..ids import new_id, now_ms
from ..store.db import Row
from .accounts import Principal, require_owner
from .attachments import TooLarge, UnsupportedType
from .context import Chat
from .errors import Invalid, NotFound

MAX_IMAGE_BYTES = 256 * 1024
LOGO = "logo"
TYPES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
         "image/webp": (b"RIFF",)}


def image_url(image_id: str) -> str:
    return f"/images/{image_id}"


def check_image(content_type: str, data: bytes) -> str:
    content_type = content_type.split(";", 1)[0].strip().lower()
    if len(data) > MAX_IMAGE_BYTES:
        raise TooLarge(f"Images can be at most {MAX_IMAGE_BYTES // 1024} KB.")
    if not data:
        raise Invalid("The image is empty.")
    if content_type not in TYPES:
        raise UnsupportedType("Only PNG, JPEG and WebP images are accepted (SVG is not).")
    if not data.startswith(TYPES[content_type]) or (
            content_type == "image/webp" and data[8:12] != b"WEBP"):
        raise Invalid(f"The file is not a {content_type.split('/')[1].upper()} image.")
    return content_type


async def _put(chat: Chat, account_id: str, owner: str, content_type: str, data: bytes) -> dict[str, Any]:
    content_type = check_image(content_type, data)
    image_id = new_id()
    await chat.store.put_image({"id": image_id, "account_id": account_id, "owner": owner,
                                "type": content_type, "data": base64.b64encode(data).decode(),
                                "created_at": now_ms()})
    return {"url": image_url(image_id)}


async def do_set_logo(chat: Chat, principal: Principal, content_type: str, data: bytes) -> dict[str, Any]:
    require_owner(principal, "Only owners can change the logo.")
    return await _put(chat, principal.account_id, LOGO, content_type, data)


async def do_remove_logo(chat: Chat, principal: Principal) -> dict[str, Any]:
    require_owner(principal, "Only owners can change the logo.")
    await chat.store.delete_image(principal.account_id, LOGO)
    return {"url": None}


async def do_set_avatar(chat: Chat, principal: Principal, content_type: str, data: bytes) -> dict[str, Any]:
    return await _put(chat, principal.account_id, principal.agent_id, content_type, data)


async def do_remove_avatar(chat: Chat, principal: Principal) -> dict[str, Any]:
    await chat.store.delete_image(principal.account_id, principal.agent_id)
    return {"url": None}


async def my_images(chat: Chat, principal: Principal) -> dict[str, Any]:
    """The logo and the calling agent's avatar: {"logoUrl", "avatarUrl"}, null when none."""
    ids = await chat.store.image_ids(principal.account_id)
    return {"logoUrl": image_url(ids[LOGO]) if LOGO in ids else None,
            "avatarUrl": image_url(ids[principal.agent_id]) if principal.agent_id in ids else None}


async def for_widget(chat: Chat, account_id: str) -> dict[str, Any]:
    """What the widget's config carries: the logo's URL, and agent ID -> avatar URL."""
    ids = await chat.store.image_ids(account_id)
    return {"logoUrl": image_url(ids[LOGO]) if LOGO in ids else None,
            "avatars": {owner: image_url(i) for owner, i in ids.items() if owner != LOGO}}


async def image_bytes(chat: Chat, image_id: str) -> tuple[str, bytes]:
    row: Row | None = await chat.store.get_image(image_id) if image_id.isalnum() else None
    if row is None:
        raise NotFound("Image not found.")
    return row["type"], base64.b64decode(row["data"])
