"""The seeded world the sandbox systems serve: people, enterprises, marriages, licenses.

Record *i* of each kind is computed from ``(seed, kind, i)`` alone, so a server can serve
a million enterprises page by page and two processes with the same seed agree.

    >>> w = World(seed=20261122, people=400, enterprises=120)
    >>> p = w.person(0)
    >>> len(p.id_number), p.gender == ("1" if int(p.id_number[16]) % 2 else "2")
    (18, True)
    >>> w.enterprise(3).legal_rep_name == w.person(w.enterprise(3).legal_rep_index).name
    True

People (人口) carry GB 11643 ID numbers whose region is a county-level GB/T 2260 code,
mostly in force, about 3 % withdrawn (e.g. 110103 崇文区). Enterprises (市场主体) carry
GB 32100 credit codes (authority 9; type 1 企业, 2 个体工商户, 3 农民专业合作社); their legal
representative is a person of the same world. Couple slot *c* pairs persons 2c and 2c+1;
about 30 % of slots are a marriage registration (婚姻登记): 结婚登记 (hyzk 20) or 离婚登记
(hyzk 40). License catalog codes (license_vault/catalog.yaml): ``11100000000013127D001``
营业执照, ``11100000000013514R001`` 结婚证, ``11100000000013514R002`` 离婚证.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache, cached_property
from hashlib import blake2b

from sandbox import _vocab as v
from sandbox._draw import Draws, mix64
from sandbox._timeline import Timeline
from tongban.identifiers import credit_check_char, id_check_char, org_code_check_char

__all__ = ["CST", "Enterprise", "License", "Marriage", "Person", "World"]

CST = timezone(timedelta(hours=8), "CST")
_ALPHABET31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_NEW_ORG_CODES = date(2015, 10, 1)  # 三证合一: organization codes "MA…" from then on
_MARRIAGE_RATE = 0.30


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    id_number: str
    name: str
    gender: str  # GB/T 2261.1: 1 male, 2 female
    birth_date: date
    ethnicity: str  # GB 3304
    marital_status: str  # GB/T 2261.2: 10 未婚, 20 已婚, 30 丧偶, 40 离婚
    address: str
    phone: str
    residence_code: str  # county in force today where the person lives


@dataclass(frozen=True, slots=True)
class Enterprise:
    index: int
    record_id: str
    credit_code: str
    name: str
    type_code: str  # GB 32100 institution type under authority 9
    enterprise_type: str
    legal_rep_index: int
    legal_rep_name: str
    legal_rep_id_number: str
    registered_capital: str  # 万元, four decimals
    established_on: date
    region_code: str
    address: str
    business_scope: str
    status: str
    registration_authority: str
    registration_authority_code: str


@dataclass(frozen=True, slots=True)
class Marriage:
    """One registration (婚姻登记) of a couple: both parties get a row in the front DB."""

    index: int
    husband: int  # person index
    wife: int
    kind: str  # hyzk of both parties after it: 20 结婚, 40 离婚
    registered_on: date
    number: str  # 结婚证/离婚证字号, e.g. J330106-2015-000123
    registrar: str
    registrar_code: str


@dataclass(frozen=True, slots=True)
class License:
    """An e-license in the GB/T 36901-36905 metadata shape (canonical field names)."""

    index: int
    license_type_code: str
    license_type_name: str
    license_number: str
    holder_name: str
    holder_id_type: str  # 111 citizen ID, 001 credit code
    holder_id: str
    issuer_name: str
    issuer_code: str
    issue_date: date
    valid_from: date
    valid_until: date | None  # None: 长期
    jurisdiction_code: str
    status: str
    fields: tuple[tuple[str, str], ...]

    @property
    def license_key(self) -> str:
        return f"{self.license_type_code}:{self.license_number}"


def _day_between(d: Draws, low: date, high: date) -> date:
    return date.fromordinal(d.between(low.toordinal(), max(low, high).toordinal()))


def _years_after(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, day=28)


@cache
def _authority_code(region_code: str, kind: str) -> str:
    """The credit code of a government body (authority 1, type 1 机关) of a county."""
    h = blake2b(f"{kind}:{region_code}".encode(), digest_size=8).digest()
    body = f"{int.from_bytes(h, 'little') % 10**8:08d}"
    first17 = "11" + region_code + body + org_code_check_char(body)
    return first17 + credit_check_char(first17)


class World:
    """A deterministic population of ``people`` and ``enterprises`` for one ``seed``.

    ``as_of`` is the world's clock: change times fall in the 30 days before it.
    """

    def __init__(
        self,
        seed: int = 20261122,
        people: int = 400,
        enterprises: int = 120,
        *,
        as_of: date = date(2026, 11, 22),
    ) -> None:
        if people < 2:
            raise ValueError(f"a world needs at least 2 people, not {people}")
        if enterprises < 0:
            raise ValueError(f"enterprises must be >= 0, not {enterprises}")
        self.seed, self.people, self.enterprises, self.as_of = seed, people, enterprises, as_of
        self._persons: dict[int, Person] = {}
        self._current, self._withdrawn = v.county_codes()
        self.clock = datetime.combine(as_of, time(), CST)

    # -- credentials the stand-ins accept (fixed per seed) -------------------------------
    def secret(self, name: str) -> str:
        return blake2b(f"{self.seed}:secret:{name}".encode(), digest_size=12).hexdigest()

    # -- people ---------------------------------------------------------------------------
    def person(self, i: int) -> Person:
        cached = self._persons.get(i)
        if cached is not None:
            return cached
        if not 0 <= i < self.people:
            raise IndexError(f"person {i} is outside 0..{self.people - 1}")
        person = self._make_person(i)
        if len(self._persons) < 262_144:
            self._persons[i] = person
        return person

    def _couple_draws(self, slot: int) -> Draws:
        return Draws(self.seed, "couple", slot)

    def couple_married(self, slot: int) -> bool:
        """Whether couple slot ``slot`` (persons 2·slot and 2·slot+1) is a registration."""
        return 2 * slot + 1 < self.people and self._couple_draws(slot).chance(_MARRIAGE_RATE)

    def _make_person(self, i: int) -> Person:
        d = Draws(self.seed, "person", i)
        married = self.couple_married(i // 2)
        if married:
            c = self._couple_draws(i // 2)
            c.unit()  # the draw couple_married used
            base_year, divorced = c.between(1945, 1994), c.chance(0.15)
            male = i % 2 == 0
            year = base_year + (d.between(-1, 2) if male else d.between(0, 4))
            born = _day_between(d, date(year, 1, 1), date(year, 12, 31))
            marital = "40" if divorced else "20"
        else:
            male = d.chance(0.5)
            born = _day_between(d, date(1940, 1, 1), date(2008, 12, 31))
            age = self.as_of.year - born.year
            marital = (
                "10"
                if age < 24
                else d.weighted(("10", "20", "30", "40"), (20.0, 85.0, 90.0, 100.0))
            )
        residence = d.pick(self._current)
        birth_region = d.pick(self._withdrawn) if d.chance(0.03) else residence
        seq = 2 * d.between(1, 499) + (1 if male else 0)
        first17 = f"{birth_region}{born:%Y%m%d}{seq:03d}"
        surname = d.weighted(v.SURNAME_LIST, v.SURNAME_CUMULATIVE)
        given = d.pick(v.GIVEN_CHARS) + (d.pick(v.GIVEN_CHARS) if d.chance(0.7) else "")
        address = (
            f"{v.place_prefix(residence)}{d.pick(v.STREETS)}{d.between(1, 399)}号"
            f"{d.between(1, 30)}幢{d.between(1, 6)}单元{d.between(1, 28)}{d.between(1, 4):02d}室"
        )
        phone = f"{d.pick(v.MOBILE_PREFIXES)}{d.below(10**8):08d}"
        return Person(
            index=i,
            id_number=first17 + id_check_char(first17),
            name=surname + given,
            gender="1" if male else "2",
            birth_date=born,
            ethnicity=d.weighted(v.ETHNICITIES, v.ETHNICITY_CUMULATIVE),
            marital_status=marital,
            address=address,
            phone=phone,
            residence_code=residence,
        )

    # -- marriages ------------------------------------------------------------------------
    @cached_property
    def _married_slots(self) -> list[int]:
        return [s for s in range(self.people // 2) if self.couple_married(s)]

    @property
    def marriages(self) -> int:
        return len(self._married_slots)

    def marriage(self, m: int) -> Marriage:
        slot = self._married_slots[m]
        husband, wife = self.person(2 * slot), self.person(2 * slot + 1)
        d = Draws(self.seed, "marriage", slot)
        of_age = max(_years_after(husband.birth_date, 22), _years_after(wife.birth_date, 20))
        earliest = max(of_age, date(1980, 1, 1))
        married_on = _day_between(d, earliest, min(_years_after(earliest, 12), self.as_of))
        kind = husband.marital_status
        on = married_on
        if kind == "40":
            on = _day_between(d, married_on, min(_years_after(married_on, 15), self.as_of))
        code = husband.residence_code
        letter = "J" if kind == "20" else "L"
        return Marriage(
            index=m,
            husband=husband.index,
            wife=wife.index,
            kind=kind,
            registered_on=on,
            number=f"{letter}{code}-{on.year}-{d.between(1, 99999):06d}",
            registrar=f"{v.city_county(code)}民政局婚姻登记处",
            registrar_code=_authority_code(code, "minzheng"),
        )

    # -- enterprises ----------------------------------------------------------------------
    def enterprise(self, i: int) -> Enterprise:
        if not 0 <= i < self.enterprises:
            raise IndexError(f"enterprise {i} is outside 0..{self.enterprises - 1}")
        d = Draws(self.seed, "enterprise", i)
        type_code, type_name, suffix, _ = d.weighted(
            v.ENTERPRISE_TYPES, v.ENTERPRISE_TYPE_CUMULATIVE
        )
        region_code = d.pick(self._current)
        rep = self._adult(d.below(self.people))
        earliest = max(date(1995, 1, 1), _years_after(rep.birth_date, 18))
        established = _day_between(d, earliest, self.as_of - timedelta(days=31))
        mix = mix64(self.seed)
        if established >= _NEW_ORG_CODES:
            n = (i * 7919 + mix) % 31**6
            body = "MA" + "".join(_ALPHABET31[(n // 31**k) % 31] for k in range(5, -1, -1))
        else:
            body = f"{(i * 48271 + mix) % 10**8:08d}"
        first17 = "9" + type_code + region_code + body + org_code_check_char(body)
        trade, (industry, scope) = d.pick(v.TRADE_NAMES), d.pick(v.INDUSTRIES)
        place = v.city_county(region_code)
        if type_code == "3":
            name, scope = f"{place}{trade}种植{suffix}", v.INDUSTRIES[6][1]
            capital = d.between(5, 200)
        elif type_code == "2":
            name, capital = f"{place}{trade}{industry}{suffix}", d.between(1, 50)
        else:
            name = f"{place}{trade}{industry}{suffix}"
            capital = d.pick((10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000))
        return Enterprise(
            index=i,
            record_id=f"SCJG{i:08d}",
            credit_code=first17 + credit_check_char(first17),
            name=name,
            type_code=type_code,
            enterprise_type=type_name,
            legal_rep_index=rep.index,
            legal_rep_name=rep.name,
            legal_rep_id_number=rep.id_number,
            registered_capital=f"{capital}.0000",
            established_on=established,
            region_code=region_code,
            address=f"{v.place_prefix(region_code)}{d.pick(v.STREETS)}{d.between(1, 999)}号",
            business_scope=scope,
            status=d.weighted(v.ENTERPRISE_STATUSES, v.ENTERPRISE_STATUS_CUMULATIVE),
            registration_authority=f"{place}市场监督管理局",
            registration_authority_code=_authority_code(region_code, "scjg"),
        )

    def _adult(self, start: int) -> Person:
        """The first person from ``start`` on who is at least 20 at the world's clock."""
        for k in range(self.people):
            p = self.person((start + k) % self.people)
            if p.birth_date.year <= self.as_of.year - 20:
                return p
        raise ValueError("no person of this world is old enough to represent an enterprise")

    # -- licenses (e-licenses the vault issues) -------------------------------------------
    @property
    def licenses(self) -> int:
        return self.enterprises + self.marriages

    def license(self, i: int) -> License:
        """License ``i``: business licenses first (one per enterprise), then 结婚证/离婚证."""
        if i < self.enterprises:
            return self.business_license(i)
        return self._marriage_license(i - self.enterprises)

    def business_license(self, i: int, enterprise: Enterprise | None = None) -> License:
        """The 营业执照 of enterprise ``i`` (pass the enterprise if already built)."""
        e = enterprise or self.enterprise(i)
        d = Draws(self.seed, "license", i)
        issued = _day_between(d, e.established_on, self.as_of - timedelta(days=31))
        fixed_term = e.type_code == "1" and d.chance(0.2)
        status = {"吊销": "吊销", "注销": "注销"}.get(e.status, "有效")
        return License(
            index=i,
            license_type_code="11100000000013127D001",
            license_type_name="营业执照",
            license_number=f"{e.region_code}{e.established_on.year}{i:08d}",
            holder_name=e.name,
            holder_id_type="001",
            holder_id=e.credit_code,
            issuer_name=e.registration_authority,
            issuer_code=e.registration_authority_code,
            issue_date=issued,
            valid_from=e.established_on,
            valid_until=_years_after(e.established_on, 30) if fixed_term else None,
            jurisdiction_code=e.region_code,
            status=status,
            fields=(
                ("enterprise_type", e.enterprise_type),
                ("legal_rep_name", e.legal_rep_name),
                ("registered_capital", e.registered_capital),
                ("address", e.address),
                ("business_scope", e.business_scope),
            ),
        )

    def _marriage_license(self, m: int) -> License:
        reg = self.marriage(m)
        husband, wife = self.person(reg.husband), self.person(reg.wife)
        code, name = (
            ("11100000000013514R001", "结婚证")
            if reg.kind == "20"
            else ("11100000000013514R002", "离婚证")
        )
        return License(
            index=self.enterprises + m,
            license_type_code=code,
            license_type_name=name,
            license_number=reg.number,
            holder_name=husband.name,
            holder_id_type="111",
            holder_id=husband.id_number,
            issuer_name=reg.registrar,
            issuer_code=reg.registrar_code,
            issue_date=reg.registered_on,
            valid_from=reg.registered_on,
            valid_until=None,
            jurisdiction_code=husband.residence_code,
            status="有效",
            fields=(("spouse_name", wife.name), ("spouse_id_number", wife.id_number)),
        )

    # -- change times -----------------------------------------------------------------------
    def timeline(self, stream: str, count: int) -> Timeline:
        """Change times of ``count`` records of ``stream`` over the 30 days before as_of."""
        key = (stream, count)
        cache: dict[tuple[str, int], Timeline] = self.__dict__.setdefault("_timelines", {})
        if key not in cache:
            salt = int.from_bytes(
                blake2b(f"{self.seed}:{stream}".encode(), digest_size=8).digest(), "little"
            )
            cache[key] = Timeline(salt, count, self.clock, timedelta(days=30))
        return cache[key]
