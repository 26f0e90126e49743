"""The report as files: CSV for spreadsheets, and one HTML page with its charts inside
(PNG drawn by matplotlib, embedded as data URIs) so it opens offline, anywhere."""

from __future__ import annotations

import base64
import csv
import html
import io
import logging
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from exchange.reports.compute import COLUMNS, CaseReport

__all__ = ["write_report"]

# A CJK font when the machine has one (Debian: fonts-wqy-microhei, fonts-noto-cjk).
_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
_HEADERS = {
    "department": "部门", "item_code": "事项编码", "item_name": "事项名称",
    "received": "收件", "online": "网办件", "concluded": "办结件", "on_time": "按时办结",
    "yellow": "黄牌", "red": "红牌", "extra_material": "擅自增加材料", "repeated": "重复提交",
    "forwarded": "转报件", "forward_answered": "转报已答复", "ratings": "评价数",
    "proofs_spared": "免提交材料", "online_share": "网办率", "on_time_share": "按时办结率",
    "avg_working_days": "平均办理工作日", "rating_avg": "平均评分",
}  # fmt: skip


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _charts(report: CaseReport) -> list[tuple[str, str]]:
    by_dept: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in report.rows:
        for k in ("received", "concluded", "yellow", "red", "extra_material", "repeated"):
            by_dept[r["department"]][k] += r[k]
    depts = sorted(by_dept)
    charts = []
    with (
        warnings.catch_warnings(),
        plt.rc_context({"font.sans-serif": _FONTS, "axes.unicode_minus": False}),
    ):
        warnings.simplefilter("ignore")  # a missing glyph is not worth a warning per label
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        fig, ax = plt.subplots(figsize=(7, 3.2))
        xs = range(len(depts))
        ax.bar(
            [x - 0.2 for x in xs],
            [by_dept[d]["received"] for d in depts],
            0.4,
            label="收件 received",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [by_dept[d]["concluded"] for d in depts],
            0.4,
            label="办结 concluded",
        )
        ax.set_xticks(list(xs), depts, rotation=15, fontsize=8)
        ax.set_title("办件量 cases by department")
        ax.legend(fontsize=8)
        charts.append(("办件量 cases by department", _png(fig)))

        fig, ax = plt.subplots(figsize=(7, 3.2))
        bottom = [0] * len(depts)
        for kind, color in (
            ("yellow", "#e6b800"),
            ("red", "#cc2222"),
            ("extra_material", "#7a1010"),
            ("repeated", "#777777"),
        ):
            values = [by_dept[d][kind] for d in depts]
            ax.bar(list(xs), values, 0.6, bottom=bottom, color=color, label=_HEADERS[kind])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(list(xs), depts, rotation=15, fontsize=8)
        ax.set_title("电子监察 cards by department")
        ax.legend(fontsize=8)
        charts.append(("电子监察 cards by department", _png(fig)))

        done = [r for r in report.rows if r["concluded"]]
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.4 * max(1, len(done))))
        ax.barh(
            [f"{r['item_name']} {r['item_code']}" for r in done],
            [100 * (r["on_time_share"] or 0) for r in done],
            color="#2a7ab0",
        )
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        ax.set_title("按时办结率 on-time share by service item")
        ax.tick_params(axis="y", labelsize=8)
        charts.append(("按时办结率 on-time share by service item", _png(fig)))
    return charts


def _cell(name: str, value: Any) -> str:
    if value is None:
        shown = "—"
    elif name.endswith("_share"):
        shown = f"{100 * value:.1f}%"
    else:
        shown = str(value)
    raw = "" if value is None else str(value)
    return f'<td data-metric="{name}" data-value="{html.escape(raw)}">{html.escape(shown)}</td>'


def _html(report: CaseReport) -> str:
    head = "".join(f"<th>{_HEADERS[c]}</th>" for c in COLUMNS)
    body = "\n".join(
        "<tr data-row>" + "".join(_cell(c, r[c]) for c in COLUMNS) + "</tr>" for r in report.rows
    )
    total = "<tr data-total>" + "".join(_cell(c, report.totals[c]) for c in COLUMNS) + "</tr>"
    charts = "\n".join(f'<figure><img alt="{html.escape(t)}" src="{src}">'
                       f"<figcaption>{html.escape(t)}</figcaption></figure>"
                       for t, src in _charts(report))  # fmt: skip
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>办件统计 {report.period}</title>
<style>
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 6px; text-align: right; }}
th {{ background: #eef; }} tr[data-total] td {{ font-weight: bold; background: #f6f6f6; }}
figure {{ display: inline-block; margin: 1em 1em 0 0; }}
</style></head>
<body>
<h1>办件统计 case report <span id="period">{report.period}</span></h1>
<table id="figures"><thead><tr>{head}</tr></thead>
<tbody>
{body}
{total}
</tbody></table>
{charts}
</body></html>
"""


def write_report(report: CaseReport, directory: Path) -> tuple[Path, Path]:
    """Write ``cases-<period>.csv`` and ``cases-<period>.html``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"cases-{report.period}.csv"
    with csv_path.open("w", newline="", encoding="utf-8-sig") as fh:  # Excel reads the BOM
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows([*report.rows, report.totals])
    html_path = directory / f"cases-{report.period}.html"
    html_path.write_text(_html(report), encoding="utf-8")
    return csv_path, html_path
