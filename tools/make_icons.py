"""Draws the dashboard's app icons (PNG, 192 and 512 px) from favicon.svg's design.

No image library: the shapes of favicon.svg (a rounded indigo square, a white speech bubble) are
tested per sample point, 4x4 samples a pixel, and written with zlib. The PNGs are committed; run
this again only after changing the design:  python tools/make_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "botaz" / "web" / "dashboard"
INDIGO = (0x4F, 0x46, 0xE5)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4


def in_rounded_rect(x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_triangle(x: float, y: float, a: tuple, b: tuple, c: tuple) -> bool:
    def side(p: tuple, q: tuple) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])
    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def colour_at(x: float, y: float, full_bleed: bool) -> tuple[int, int, int] | None:
    """In favicon.svg's 32x32 coordinates; None is transparent."""
    if not full_bleed and not in_rounded_rect(x, y, 0, 0, 32, 32, 8):
        return None
    bubble = (in_rounded_rect(x, y, 8, 7, 24, 20, 3.5)
              or in_triangle(x, y, (10, 17), (15, 20), (10, 24))
              or (10 <= x <= 15 and 17 <= y <= 20))
    return WHITE if bubble else INDIGO


def draw(size: int, full_bleed: bool = False) -> bytes:
    """full_bleed: a maskable icon, square, with the bubble inside the centre 80% safe zone."""
    rows = []
    scale = 32 / size
    shrink = 0.8 if full_bleed else 1.0
    n = SAMPLES * SAMPLES
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 (none)
        for px in range(size):
            acc = [0, 0, 0]
            hits = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = ((px + (sx + 0.5) / SAMPLES) * scale - 16) / shrink + 16
                    y = ((py + (sy + 0.5) / SAMPLES) * scale - 16) / shrink + 16
                    c = colour_at(x, y, full_bleed)
                    if c is not None:
                        hits += 1
                        for i in range(3):
                            acc[i] += c[i]
            if hits:
                row += bytes(round(v / hits) for v in acc) + bytes([round(255 * hits / n)])
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


if __name__ == "__main__":
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(draw(size))
    (OUT / "icon-maskable-512.png").write_bytes(draw(512, full_bleed=True))
    print("wrote icon-192.png, icon-512.png and icon-maskable-512.png in", OUT)
