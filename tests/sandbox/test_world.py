from __future__ import annotations

from collections import Counter
from dataclasses import asdict

from sandbox import World
from sandbox._vocab import is_gbk
from tongban.identifiers import check_credit_code, check_id_number, region


def test_same_seed_same_world_and_record_i_alone(world: World) -> None:
    other = World(seed=world.seed, people=world.people, enterprises=world.enterprises)
    assert [asdict(other.person(i)) for i in range(399, -1, -7)] == [
        asdict(world.person(i)) for i in range(399, -1, -7)
    ]
    assert other.enterprise(77) == world.enterprise(77)
    assert other.license(world.enterprises + 3) == world.license(world.enterprises + 3)


def test_different_seed_different_world(world: World) -> None:
    other = World(seed=world.seed + 1, people=world.people, enterprises=world.enterprises)
    assert [other.person(i).id_number for i in range(20)] != [
        world.person(i).id_number for i in range(20)
    ]
    assert other.enterprise(0).credit_code != world.enterprise(0).credit_code


def test_people_have_valid_consistent_ids(world: World) -> None:
    ids = set()
    withdrawn = 0
    for i in range(world.people):
        p = world.person(i)
        assert check_id_number(p.id_number) == p.id_number
        assert p.id_number[6:14] == p.birth_date.strftime("%Y%m%d")
        assert 1940 <= p.birth_date.year <= 2008
        assert p.gender == ("1" if int(p.id_number[16]) % 2 else "2")
        r = region(p.id_number[:6])
        assert r is not None and p.id_number[4:6] != "00"
        withdrawn += not r.in_force
        assert is_gbk(p.name + p.address), p
        assert 2 <= len(p.name) <= 4 and p.marital_status in {"10", "20", "30", "40"}
        assert len(p.phone) == 11 and p.phone.startswith("1")
        ids.add(p.id_number)
    assert len(ids) == world.people
    assert 0 < withdrawn < world.people * 0.1


def test_enterprises_have_valid_codes_and_real_legal_reps(world: World) -> None:
    codes = set()
    for i in range(world.enterprises):
        e = world.enterprise(i)
        assert check_credit_code(e.credit_code) == e.credit_code
        assert e.credit_code[:1] == "9" and e.credit_code[2:8] == e.region_code
        rep = world.person(e.legal_rep_index)
        assert (e.legal_rep_name, e.legal_rep_id_number) == (rep.name, rep.id_number)
        assert e.established_on.year - rep.birth_date.year >= 18
        assert e.registration_authority.endswith("市场监督管理局") and is_gbk(e.name + e.address)
        assert float(e.registered_capital) > 0
        codes.add(e.credit_code)
    assert len(codes) == world.enterprises


def test_million_enterprise_world_codes_are_unique_and_addressable() -> None:
    big = World(people=400, enterprises=1_000_000)
    sample = [big.enterprise(i).credit_code for i in range(0, 1_000_000, 997)]
    assert len(set(sample)) == len(sample)
    assert big.enterprise(999_999).record_id == "SCJG00999999"


def test_marriages_pair_a_man_and_a_woman_of_age(world: World) -> None:
    assert 0.2 * world.people < 2 * world.marriages < 0.4 * world.people
    for m in range(world.marriages):
        reg = world.marriage(m)
        husband, wife = world.person(reg.husband), world.person(reg.wife)
        assert (husband.gender, wife.gender) == ("1", "2")
        assert husband.marital_status == wife.marital_status == reg.kind
        assert reg.registered_on.year - husband.birth_date.year >= 22
        assert reg.registered_on.year - wife.birth_date.year >= 20


def test_licenses_cover_enterprises_then_marriages(world: World) -> None:
    assert world.licenses == world.enterprises + world.marriages
    first = world.license(0)
    assert (first.license_type_code, first.holder_id) == (
        "11100000000013127D001",
        world.enterprise(0).credit_code,
    )
    last = world.license(world.licenses - 1)
    assert (
        last.license_type_code in ("11100000000013514R001", "11100000000013514R002")
        and last.holder_id_type == "111"
    )
    keys = {world.license(i).license_key for i in range(world.licenses)}
    assert len(keys) == world.licenses


def test_change_times_tie_and_fall_in_the_last_30_days(world: World) -> None:
    timeline = world.timeline("gongan_population", world.people)
    stamps = [timeline.timestamp(i) for i in range(world.people)]
    ties = Counter(stamps)
    assert max(ties.values()) >= 3 and sum(n for n in ties.values() if n > 1) > world.people / 2
    assert all((world.clock - s).days < 30 and s < world.clock for s in stamps)
    assert all(s.utcoffset().total_seconds() == 8 * 3600 for s in stamps)  # type: ignore[union-attr]
    ordered = [(timeline.timestamp(i), i) for i in timeline.order]
    assert ordered == sorted(ordered)
