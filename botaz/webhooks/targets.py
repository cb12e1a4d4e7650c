"""Where webhooks and external bots may be sent: by default never inside our own network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefused(Exception):
    pass


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 inside IPv6 (mapped, 6to4, Teredo) is judged by the IPv4 address it carries.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            if _blocked(embedded):
                return True
    # Only globally routable addresses: this also refuses shared (100.64/10), documentation and
    # benchmarking ranges that is_private does not cover.
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local
            or ip.is_reserved or ip.is_multicast or ip.is_unspecified)


def check_url_shape(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("url must be an http:// or https:// address.")
    if parts.username or parts.password:
        raise TargetRefused("url must not carry a user name or password.")
    return url


async def check_target(url: str, allow_private: bool) -> None:
    """Refuse loopback, private, link-local and reserved addresses unless allowed.

    Checked when an endpoint is saved and again before every delivery, since DNS can change.
    """
    check_url_shape(url)
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        ips = [ipaddress.ip_address(host)]
    except ValueError:
        if host.lower() in ("localhost",) or host.lower().endswith(".localhost"):
            raise TargetRefused("url points to a private or loopback address.") from None
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise TargetRefused(f"url's host {host} does not resolve.") from None
        ips = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if any(_blocked(ip) for ip in ips):
        raise TargetRefused("url points to a private or loopback address.")
