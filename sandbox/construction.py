"""住房和城乡建设局 建筑业企业资质 registry stand-in: a REST JSON API that answers only
"changed between A and B", pages by ``Link`` header and nests its records.

``GET /api/v2/qualified-enterprises`` takes ``updated_from`` and ``updated_to`` (both
required, ISO 8601, ``[from, to)``, at most 31 days apart), ``limit`` (1..1000) and
``page``; it answers ``{"code": 0, "data": {"total": N, "list": [...]}}`` in
(updated_at, id) order, with ``Link: <...page=N+1>; rel="next"`` while more follow. Each
record is an enterprise with its 资质证书 (``qualifications[*]``), its legal
representative (``legal_rep``, an object) and its registered staff
(``registered_staff[*]``). ``GET /openapi.json`` serves the API's OpenAPI 3 document
(no key needed). Auth on ``/api/*``: the ``X-Api-Key`` header.

    >>> item, entries = qualified_enterprise(World(1, 50, 10), DirtRates.none(), 0)
    >>> item["id"], entries
    ('ZJ00000000', [])
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sandbox import dirt as dk
from sandbox._draw import Draws
from sandbox._http import BackgroundServer, Handler
from sandbox.dirt import KINDS, DirtRates
from sandbox.manifest import ManifestEntry, Written
from sandbox.sources import SCJG_KINDS
from sandbox.world import CST, World, _authority_code, _day_between, _years_after

__all__ = [
    "OPENAPI",
    "QUALIFICATION_TYPE",
    "SOURCE",
    "ConstructionServer",
    "construction_dirt",
    "qualified_enterprise",
    "registry_size",
]

SOURCE = "zjj_qualification"
QUALIFICATION_TYPE = ("1110000000001316XM001", "建筑业企业资质证书")
PATH = "/api/v2/qualified-enterprises"
MAX_LIMIT, MAX_SPAN = 1000, timedelta(days=31)
PARENT_KINDS = ("credit_bad_check", "name_missing")
STAFF_KINDS = ("id_bad_check", "id_spaces")
CERT_KINDS = ("date_impossible", "date_format")
_CATEGORIES = (
    ("施工总承包", ("建筑工程", "市政公用工程", "公路工程", "水利水电工程")),
    ("专业承包", ("地基基础工程", "建筑装修装饰工程", "钢结构工程", "消防设施工程")),
    ("施工劳务", ("施工劳务",)),
)
_GRADES = ("特级", "一级", "二级", "三级")
_PROFESSIONS = ("一级注册建造师", "二级注册建造师", "注册结构工程师", "注册造价工程师")
_JSON = "application/json; charset=utf-8"


@lru_cache(maxsize=8)
def _members(seed: int, enterprises: int, rates: DirtRates) -> tuple[int, ...]:
    """The enterprises the registry lists: those the market registry serves in a form
    the hub keeps (a qualification needs a business license first)."""
    kept = []
    for i in range(enterprises):
        kind = rates.pick(seed, "scjg_enterprise", i, SCJG_KINDS)
        if kind is None or KINDS[kind].expect != "quarantined":
            kept.append(i)
    return tuple(kept)


def registry_size(world: World, rates: DirtRates) -> int:
    """How many enterprises the registry lists (its records are 0 .. size - 1)."""
    return len(_members(world.seed, world.enterprises, rates))


def _record(world: World, rates: DirtRates, j: int) -> dict[str, Any]:
    i = _members(world.seed, world.enterprises, rates)[j]
    e = world.enterprise(i)
    d = Draws(world.seed, "zjj", i)
    place = e.registration_authority.removesuffix("市场监督管理局")
    quals = []
    for k in range(1 + d.below(3)):
        category, specialties = d.pick(_CATEGORIES)
        grade = "不分等级" if category == "施工劳务" else d.pick(_GRADES[1:])
        # a 资质证书 runs five years and is renewed: most in force, some lapsed
        earliest = max(e.established_on, world.as_of - timedelta(days=5 * 365 + 120))
        issued = _day_between(d, earliest, world.as_of - timedelta(days=31))
        quals.append({
            "cert_no": f"D{e.region_code}{i:06d}{k}",
            "category": category,
            "scope": f"{d.pick(specialties)}{category}{grade}",
            "issuer": f"{place}住房和城乡建设局",
            "issuer_code": _authority_code(e.region_code, "zjj"),
            "issued_on": issued.isoformat(),
            "valid_from": issued.isoformat(),
            "valid_until": _years_after(issued, 5).isoformat(),
            "status": "有效" if _years_after(issued, 5) > world.as_of else "过期",
        })  # fmt: skip
    staff = []
    for k in range(d.below(4)):
        p = world._adult(d.below(world.people))
        staff.append({
            "reg_no": f"{e.region_code[:2]}1{i:06d}{k}",
            "name": p.name,
            "id_number": p.id_number,
            "profession": d.pick(_PROFESSIONS),
        })  # fmt: skip
    return {
        "id": f"ZJ{j:08d}",
        "uscc": e.credit_code,
        "name": e.name,
        "region_code": e.region_code,
        "address": e.address,
        "legal_rep": {"name": e.legal_rep_name, "id_number": e.legal_rep_id_number},
        "qualifications": quals,
        "registered_staff": staff,
        "updated_at": world.timeline(SOURCE, registry_size(world, rates)).iso(j),
    }


def qualified_enterprise(
    world: World, rates: DirtRates, i: int
) -> tuple[dict[str, Any], list[ManifestEntry]]:
    """Record ``i`` of the registry (0 .. ``registry_size`` - 1, an enterprise) as it
    serves it, and what the hub must make of its dirt:
    the record's own (credit code, name), or, when the record itself is clean, that of
    its nested children (each drawn on its own), whose record id is
    ``<record id>/<child id>``."""
    item = _record(world, rates, i)
    record, code = item["id"], item["uscc"]
    kind = rates.pick(world.seed, SOURCE, i, PARENT_KINDS)
    d = Draws(world.seed, f"dirt-value:{SOURCE}", i)
    if kind == "credit_bad_check":
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        item["uscc"] = code[:17] + alphabet[(alphabet.index(code[17]) + d.between(1, 30)) % 31]
        return item, [_entry(record, kind, "uscc", "credit_code", code, "enterprise")]
    if kind == "name_missing":
        item["name"] = ""
        return item, [_entry(record, kind, "name", "name", code, "enterprise")]
    entries = []
    for k, person in enumerate(item["registered_staff"]):
        kind = rates.pick(world.seed, f"{SOURCE}:staff", i * 8 + k, STAFF_KINDS)
        if kind is None:
            continue
        number = person["id_number"]
        changed = dk.id_bad_check(number, d) if kind == "id_bad_check" else dk.id_spaces(number, d)
        person["id_number"] = changed
        child = f"{record}/{person['reg_no']}"
        entries.append(_entry(child, kind, "id_number", "id_number", number, "person"))
    for k, qual in enumerate(item["qualifications"]):
        kind = rates.pick(world.seed, f"{SOURCE}:qualifications", i * 8 + k, CERT_KINDS)
        if kind is None:
            continue
        issued = date.fromisoformat(qual["issued_on"])
        qual["issued_on"] = (
            dk.date_variant(issued, d) if kind == "date_format" else dk.impossible_date(issued, d)
        )
        key = f"{QUALIFICATION_TYPE[0]}:{qual['cert_no']}"
        child = f"{record}/{qual['cert_no']}"
        entries.append(_entry(child, kind, "issued_on", "issue_date", key, "license"))
    return item, entries


def _entry(
    record: str, kind: str, field: str, canonical: str, key: str, entity: str
) -> ManifestEntry:
    spec = KINDS[kind]
    child = entity if "/" in record else None
    if spec.expect == "quarantined":
        assert spec.rule is not None
        rule = spec.rule.format(field=canonical, entity=entity)
        return ManifestEntry(
            SOURCE, record, kind, field, "quarantined", rule, None, canonical, child
        )
    return ManifestEntry(SOURCE, record, kind, field, spec.expect, None, key, canonical, child)


def construction_dirt(world: World, rates: DirtRates) -> Written:
    """The registry's record count and its dirt, for the manifest."""
    n = registry_size(world, rates)
    entries = [e for i in range(n) for e in qualified_enterprise(world, rates, i)[1]]
    return Written(SOURCE, n, entries)


# -- the API ------------------------------------------------------------------------------

_S = {"type": "string"}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "建筑业企业资质查询接口", "version": "2.1"},
    "paths": {
        PATH: {"get": {
            "summary": "按更新时间段查询建筑业企业资质",
            "parameters": [
                {"name": n, "in": "query", "required": r, "schema": s}
                for n, r, s in (
                    ("updated_from", True, {"type": "string", "format": "date-time"}),
                    ("updated_to", True, {"type": "string", "format": "date-time"}),
                    ("limit", False, {"type": "integer", "maximum": MAX_LIMIT}),
                    ("page", False, {"type": "integer", "minimum": 1}),
                )
            ],
            "responses": {
                "200": {"description": "一页企业", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EnterprisePage"}}}},
                "400": {"description": "参数错误"},
                "401": {"description": "API Key 无效"},
            },
        }},
    },
    "components": {"schemas": {
        "EnterprisePage": {"type": "object", "properties": {
            "code": {"type": "integer"},
            "data": {"type": "object", "properties": {
                "total": {"type": "integer"},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/Enterprise"}},
            }},
        }},
        "Enterprise": {"type": "object", "properties": {
            "id": _S, "uscc": _S, "name": _S, "region_code": _S, "address": _S,
            "legal_rep": {"$ref": "#/components/schemas/Person"},
            "qualifications": {
                "type": "array", "items": {"$ref": "#/components/schemas/Qualification"}},
            "registered_staff": {"type": "array", "items": {"allOf": [
                {"$ref": "#/components/schemas/Person"},
                {"type": "object", "properties": {"reg_no": _S, "profession": _S}},
            ]}},
            "updated_at": {"type": "string", "format": "date-time"},
        }},
        "Person": {"type": "object", "properties": {"name": _S, "id_number": _S}},
        "Qualification": {"type": "object", "properties": {
            k: _S for k in ("cert_no", "category", "scope", "issuer", "issuer_code",
                            "issued_on", "valid_from", "valid_until", "status")}},
    }},
}  # fmt: skip


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _when(params: dict[str, str], name: str) -> datetime:
    text = params.get(name)
    if not text:
        raise _ApiError(400, 40001, f"缺少参数 {name}：本接口只按更新时间段查询")
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise _ApiError(400, 40002, f"{name} 应为 ISO 8601 时间：{text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=CST)


class _Registry:
    def __init__(self, world: World, dirt: DirtRates, api_key: str) -> None:
        self.world, self.dirt, self.api_key = world, dirt, api_key
        self.timeline = world.timeline(SOURCE, registry_size(world, dirt))
        self.calls = 0  # API requests answered, for tests that count them

    def page(self, base: str, query: str) -> tuple[bytes, str | None]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        start, stop = _when(params, "updated_from"), _when(params, "updated_to")
        if stop < start or stop - start > MAX_SPAN:
            raise _ApiError(400, 40003, "查询时间跨度须在 0 到 31 天之间")
        try:
            limit, page = int(params.get("limit") or 50), int(params.get("page") or 1)
        except ValueError:
            raise _ApiError(400, 40004, "limit 与 page 应为整数") from None
        if not 1 <= limit <= MAX_LIMIT or page < 1:
            raise _ApiError(400, 40004, f"limit 须在 1 到 {MAX_LIMIT} 之间，page 从 1 起")
        t = self.timeline
        first, last = t.position_since(start), t.position_since(stop)
        at = first + (page - 1) * limit
        chosen = t.order[at : min(at + limit, last)]
        items = [qualified_enterprise(self.world, self.dirt, i)[0] for i in chosen]
        body = {"code": 0, "data": {"total": max(0, last - first), "list": items}}
        link = None
        if at + limit < last:
            link = f'<{base}{PATH}?{urlencode({**params, "page": page + 1})}>; rel="next"'
        return json.dumps(body, ensure_ascii=False).encode(), link


class _Handler(Handler):
    def do_GET(self) -> None:
        registry: _Registry = self.app
        parts = urlsplit(self.path)
        if parts.path == "/openapi.json":
            self.send(200, json.dumps(OPENAPI, ensure_ascii=False).encode(), _JSON)
            return
        try:
            if parts.path != PATH:
                raise _ApiError(404, 40400, f"接口不存在：{parts.path}")
            if self.headers.get("X-Api-Key") != registry.api_key:
                raise _ApiError(401, 40100, "API Key 无效或已停用")
            registry.calls += 1
            base = f"http://{self.headers.get('Host') or 'localhost'}"
            body, link = registry.page(base, parts.query)
            self.send(200, body, _JSON, {"Link": link} if link else None)
        except _ApiError as err:
            error = {"code": err.code, "message": err.message}
            self.send(err.status, json.dumps(error, ensure_ascii=False).encode(), _JSON)


class ConstructionServer(BackgroundServer):
    """The 住建 qualification registry on a loopback port (``port=0``: a free one)."""

    def __init__(
        self, world: World, dirt: DirtRates, *, api_key: str, host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:  # fmt: skip
        self.registry = _Registry(world, dirt, api_key)
        super().__init__(_Handler, self.registry, host=host, port=port)
