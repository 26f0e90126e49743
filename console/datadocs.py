"""Data Docs that work with no network beyond the hub.

Great Expectations' Data Docs load Bootstrap, jQuery, bootstrap-table, Vega and Font
Awesome from public CDNs, and their index fills its tables from a script that needs
them: cut off from the internet, the index lists no validation result at all. After
building the site with ``expectations.build_data_docs``, every page is rewritten:

* every tag that loads from another host is removed (nothing is even requested);
* each table GX would fill with bootstrap-table is written out as HTML rows, each
  with a link to its page;
* the page loads the console's own small stylesheet and script (``docs.css``,
  ``docs.js``, copied into the site's ``static/tongban/`` and linked relatively): the
  Bootstrap classes GX uses, tabs, collapsible sections, the icons, and a filter box
  over each table.

The site works opened from disk as well as served by the console, which serves it at
``/console/docs/`` to signed-in users; ``tongban quality docs`` builds it the same way.
"""

from __future__ import annotations

import ast
import asyncio
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from console.app import Console

__all__ = ["DocsFiles", "build_offline_docs", "make_offline"]

_EXTERNAL = re.compile(
    r"<(script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.IGNORECASE,
)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>.*?</script>", re.DOTALL | re.I)
_TABLE = re.compile(
    r"<table\s+id=\"(?P<id>[^\"]+)\"(?P<attrs>[^>]*)data-toggle=\"table\"\s*>\s*</table>", re.S
)
_CONFIG = re.compile(
    r"\$\('#(?P<id>[^']+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns:\s*(?P<cols>\[.*?\]),"
    r"\s*data:\s*(?P<data>\[.*?\]),\s*toolbar:",
    re.S,
)
_TOOLBAR = re.compile(r"<div id=\"(?P<id>[^\"]+)-toolbar\"[^>]*>.*?</div>", re.S)
_HEAD_END = re.compile(r"</head>", re.I)
_EXTERNAL_LINK = re.compile(r"<a\b([^>]*)href=\"https?://[^\"]*\"", re.I)
_GX_ASSET = re.compile(r"https://great-expectations-web-assets\.[^'\"\s)]*")
_EXTERNAL_SRC = re.compile(r"\bsrc=\"(?:https?:)?//[^\"]*\"", re.I)
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", re.I)


ASSETS = ("docs.css", "docs.js")
MARK = "static/tongban/docs.css"


def make_offline(directory: str | Path) -> int:
    """Rewrite every page of a built site under ``directory`` to work offline: the
    stylesheet and script are copied into the site (``static/tongban/``) and linked
    relatively, so the site works opened from disk as well as served by the console.
    Pages already rewritten are left alone. Returns the number of pages rewritten."""
    directory = Path(directory)
    target = directory / "static" / "tongban"
    target.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        shutil.copyfile(Path(__file__).parent / "static" / name, target / name)
    pages = 0
    for page in sorted(directory.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if MARK in text:
            continue
        depth = len(page.relative_to(directory).parts) - 1
        root = "../" * depth
        page.write_text(
            offline_page(text, assets=f"{root}static/tongban", site=root.rstrip("/") or "."),
            encoding="utf-8",
        )
        pages += 1
    return pages


def offline_page(text: str, *, assets: str, site: str) -> str:
    """One page without anything from another host; ``assets`` and ``site`` are the
    (relative) paths of the copied assets and of the site's root."""
    configs = {m["id"]: m for m in _CONFIG.finditer(text)}
    text = _EXTERNAL.sub("", text)
    text = _INLINE_SCRIPT.sub("", text)
    text = _EXTERNAL_LINK.sub(r'<a\1href="#"', text)
    text = _GX_ASSET.sub(f"{site}/static/images/logo-long.png", text)  # the site's own copy
    text = _EXTERNAL_SRC.sub('src=""', text)
    text = _EXTERNAL_URL.sub("none", text)

    def table(match: re.Match[str]) -> str:
        config = configs.get(match["id"])
        if config is None:
            return match.group(0)
        columns = ast.literal_eval(config["cols"])
        rows = ast.literal_eval(config["data"])
        classes = re.search(r'class="([^"]*)"', match["attrs"])
        return _render_table(match["id"], classes.group(1) if classes else "", columns, rows)

    text = _TABLE.sub(table, text)
    text = _TOOLBAR.sub(
        lambda m: (
            f'<div class="docs-toolbar"><label>Filter / 筛选 <input type="search"'
            f' class="docs-filter" data-table="{m["id"]}"></label></div>'
        ),
        text,
    )
    head = (
        f'<link rel="stylesheet" href="{assets}/docs.css">'
        f'<script src="{assets}/docs.js" defer></script></head>'
    )
    return _HEAD_END.sub(head, text, count=1)


def _render_table(
    table_id: str, classes: str, columns: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> str:
    sort_key = {c["field"]: c.get("sortName", c["field"]) for c in columns}
    head = "".join(f'<th scope="col">{html.escape(str(c["title"]))}</th>' for c in columns)
    if rows and "_run_time_sort" in rows[0]:
        rows = sorted(rows, key=lambda r: r.get("_run_time_sort", 0), reverse=True)
    body = []
    for row in rows:
        link = row.get("_table_row_link_path")
        cells = []
        for i, c in enumerate(columns):
            value = str(row.get(c["field"], ""))
            if i == (2 if len(columns) > 2 else 0) and link and "<a " not in value:
                value = f'<a href="{html.escape(link)}">{value}</a>'
            if c["field"] == "validation_success":
                status = str(row.get("_validation_success_text", ""))
                value += f'<span class="sr-only">{html.escape(status)}</span>'
                sort_value = html.escape(status)
            else:
                sort_value = html.escape(str(row.get(sort_key[c["field"]], "")))
            cells.append(f'<td data-sort="{sort_value}">{value}</td>')
        href = f' data-href="{html.escape(link)}"' if link else ""
        body.append(f'<tr class="clickable-row"{href}>{"".join(cells)}</tr>')
    return (
        f'<table id="{table_id}" class="table docs-table {html.escape(classes.strip())}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# Run in a process of its own: the web console's process never imports Great Expectations.
_BUILD = (
    "import json, sys; from expectations import build_data_docs;"
    " build_data_docs(sys.argv[1], results=json.load(open(sys.argv[2], encoding='utf-8')))"
)


def build_offline_docs(console: Console, *, latest: int = 50) -> int:
    """Build the site from the latest stored validations and make it work offline.
    Returns how many validation results it lists.

    GX renders the site in a child process (``expectations.build_data_docs``), so the
    API and console processes never import it; this one only rewrites the pages."""
    results = [
        r["result"] for r in console.store.validation_results(limit=latest, with_result=True)
    ]
    directory = Path(console.settings.docs_dir)
    with tempfile.TemporaryDirectory(prefix="tongban-docs-") as scratch:
        stored = Path(scratch) / "results.json"
        stored.write_text(json.dumps(results, default=str), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", _BUILD, str(directory), str(stored)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"building the Data Docs failed: {said}")
    make_offline((directory / "index.html").resolve().parent)
    return len(results)


class DocsFiles:
    """The built site as static files, for signed-in readers; built on first request."""

    def __init__(self, console: Console):
        self.console = console
        self._files: StaticFiles | None = None
        self._building = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        request = Request(scope, receive)
        self.console.sessions.require(request, "reviewer", "engineer", "reporter")
        directory = self.console.settings.docs_dir
        if not _offline(directory / "index.html"):
            async with self._building:
                if not _offline(directory / "index.html"):
                    await run_in_threadpool(build_offline_docs, self.console)
        if self._files is None:
            self._files = StaticFiles(directory=str(directory), html=True)
        await self._files(scope, receive, send)


def _offline(index: Path) -> bool:
    """Whether the site is built and rewritten (a site the CLI built before is redone)."""
    return index.is_file() and MARK in index.read_text(encoding="utf-8")
