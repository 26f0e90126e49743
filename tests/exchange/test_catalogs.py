"""The share catalog and the service items are data, checked when they load."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.catalog import CATEGORIES, load_items, load_share_catalog
from exchange.policy import mask
from tongban.errors import FatalError


def test_bundled_catalogs_load_and_items_draw_on_three_departments():
    share = load_share_catalog()
    items = load_items(share)
    assert {r.share for r in share.resources.values()} == {"unconditional", "conditional"}
    assert share.resource("person").fields["ethnicity"].share == "not_shared"
    for item in items.items.values():
        assert item.category in CATEGORIES and item.time_limit_days >= 1
    departments = {
        share.resource(m.resource).department
        for m in items.get("11110000RS0201").materials  # type: ignore[union-attr]
        if m.resource
    }
    assert departments == {"公安局", "民政局", "人力资源和社会保障局"}


def test_a_bad_catalog_is_refused_naming_the_file_and_key(tmp_path: Path):
    bad = tmp_path / "items.yaml"
    bad.write_text(
        "items:\n  - {code: X1, name: 某事项, category: 行政审批, department: 某局,"
        " time_limit_days: 5, applicant: person}\n",
        encoding="utf-8",
    )
    with pytest.raises(FatalError, match=r"items\[0\]\.category"):
        load_items(load_share_catalog(), bad)
    share = tmp_path / "share.yaml"
    share.write_text(
        "resources:\n  p: {title: t, department: d, entity: person, share: open,"
        " fields: {a: unconditional}}\n",
        encoding="utf-8",
    )
    with pytest.raises(FatalError, match=r"resources\.p\.share"):
        load_share_catalog(share)


def test_masks_keep_the_ends():
    assert mask("id_number", "11010119900101123X") == "110101********123X"
    assert mask("phone", "13812345678") == "138****5678"
    assert mask("phone", None) is None
