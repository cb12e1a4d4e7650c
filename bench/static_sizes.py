"""Bytes a browser downloads for widget.js and the dashboard's first screens (docs/benchmarks.md,
"Static files"), as botaz/api/static.py sends them: uncompressed, gzip (level 9) and brotli
(quality 11); files under 1 KiB are sent as they are.

    python bench/static_sizes.py [WEB_DIR]      # default: this checkout's botaz/web

The dashboard's pages are followed the way the server preloads them (botaz/api/dashboard.py):
the entry module's static imports, transitively, plus the route's page module, when app.js
imports it lazily. Pass an older checkout's botaz/web to measure it the same way."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import brotli

IMPORT = re.compile(r'^import\s(?:[^;"]*?\sfrom\s)?"\./([\w.-]+\.js)"', re.M)


def closure(folder: Path, roots: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or not (folder / name).exists():
            return
        seen.add(name)
        for dep in IMPORT.findall((folder / name).read_text()):
            visit(dep)
        out.append(name)

    for root in roots:
        visit(root)
    return out


def sent(files: list[Path]) -> tuple[int, int, int]:
    plain = gz = br = 0
    for f in files:
        data = f.read_bytes()
        plain += len(data)
        small = len(data) < 1024
        gz += len(data) if small else min(len(data), len(gzip.compress(data, 9, mtime=0)))
        br += len(data) if small else min(len(data), len(brotli.compress(data, quality=11)))
    return plain, gz, br


def main() -> None:
    web = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "botaz" / "web"
    dash = web / "dashboard"
    lazy = "import(" in (dash / "app.js").read_text()
    css = [dash / "dashboard.css", dash / "reports.css"]
    pages = {
        "widget.js": [web / "widget.js"],
        "dashboard / (inbox)": [dash / "app.html", *css] + [
            dash / m for m in closure(dash, ["app.js"] + (["inbox.js"] if lazy else []))],
        "dashboard /reports, then": [dash / m for m in closure(dash, ["reports.js"])
                                     if m not in closure(dash, ["app.js", "inbox.js"])] if lazy else [],
        "/login": [dash / "login.html", dash / "dashboard.css"] + [
            dash / m for m in closure(dash, ["login.js"])],
    }
    print("| what | files | uncompressed | gzip | brotli |\n|---|---|---|---|---|")
    for name, files in pages.items():
        plain, gz, br = sent(files)
        print(f"| {name} | {len(files)} | {plain:,} | {gz:,} | {br:,} |")


if __name__ == "__main__":
    main()
