"""A mapping that reads a field the system does not have is refused before any record
is read, naming the mapping key and the nearest real field: against a file's header and
a front-end database's own columns (reflected)."""

from __future__ import annotations

import pytest
from kit import GOOD, HEADER, WORLD, definition, stored_state, write_drop

from connectors import sync_source
from sandbox import DirtRates, write_frontdb
from tongban.errors import FatalError


def _misspelt(name: str, target: str, wrong: str):
    d = definition(name)
    mapping = dict(d.mapping)
    entry = mapping[target]
    mapping[target] = (
        wrong if isinstance(entry, str) else entry.model_copy(update={"source": wrong})
    )
    return d.model_copy(update={"mapping": mapping})


def test_a_misspelt_field_of_a_file_drop_is_refused_with_the_nearest(store, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    write_drop(drop, "shebao_20261101.csv", HEADER + "\n".join(GOOD) + "\n")
    before = stored_state(store)
    d = _misspelt("renshe_insurance", "birth_date", "出生年月")
    with pytest.raises(FatalError) as info:
        sync_source(store, d, env={"TONGBAN_RENSHE_DROP_DIR": str(drop)})
    assert str(info.value) == (
        "renshe_insurance: mapping.birth_date: source field '出生年月' is not in the header of"
        " shebao_20261101.csv (nearest: '出生日期')"
    )
    assert stored_state(store) == before


def test_a_misspelt_column_of_a_front_end_db_is_refused_with_the_nearest(store, tmp_path):
    url = f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    write_frontdb(url, WORLD, DirtRates.none())
    before = stored_state(store)
    d = _misspelt("minzheng_marriage", "name", "xmm")
    with pytest.raises(FatalError) as info:
        sync_source(store, d, env={"TONGBAN_MINZHENG_DB_URL": url})
    assert str(info.value) == (
        "minzheng_marriage: mapping.name: source field 'xmm' is not in table 'mz_hydj'"
        " (nearest: 'xm')"
    )
    assert stored_state(store) == before
    assert sync_source(store, definition("minzheng_marriage"),
                       env={"TONGBAN_MINZHENG_DB_URL": url}).status == "succeeded"  # fmt: skip
