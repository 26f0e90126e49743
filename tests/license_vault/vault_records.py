"""License records the vault tests issue from: the bundled samples and a marriage certificate."""

from __future__ import annotations

from importlib import resources

from tongban.identifiers import id_check_char
from tongban.loader import read_records
from tongban.pipeline import load_records
from tongban.store import Store

SAMPLES = resources.files("tongban.data").joinpath("samples")


def citizen_id(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + id_check_char(first17)


HUSBAND = citizen_id("110105", "19900101", "123")
WIFE = citizen_id("310104", "19920215", "246")
MARRIAGE_KEY = "11100000000013514R001:J110105-2024-000123"


def marriage_record(holder: str = HUSBAND, spouse: str = WIFE, **changes: object) -> dict:
    record: dict = {
        "license_type_code": "11100000000013514R001",
        "license_type_name": "结婚证",
        "license_number": "J110105-2024-000123",
        "holder_name": "王伟",
        "holder_id": holder,
        "holder_id_type": "111",
        "issuer_name": "北京市朝阳区民政局",
        "issuer_code": "11110105MB0123457J",
        "issue_date": "2024-05-20",
        "valid_from": "2024-05-20",
        "valid_until": "",
        "jurisdiction_code": "110105",
        "status": "valid",
        "fields": {
            "registration_date": "2024-05-20",
            "spouse_name": "李娜",
            "spouse_id_number": spouse,
        },
    }
    record.update(changes)
    return record


def load_licenses(store: Store, records: list[dict], source: str = "civil") -> None:
    summary = load_records(
        store, "license", [(str(i), r) for i, r in enumerate(records)], source=source
    )
    assert summary.quarantined == 0, store.quarantined()


def load_samples(store: Store) -> None:
    with resources.as_file(SAMPLES.joinpath("licenses.csv")) as path:
        load_records(store, "license", list(read_records(path)), source="manual")
