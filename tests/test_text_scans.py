"""The quick scans that tell a whole column of text needs nothing done to it give what
the regular expressions they stand in for give, on every kind of character."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.normalize import _DIRTY, _clean_whole, clean_text, clean_text_column
from tongban.store._bulk import _COPY_SPECIAL, _plain

# Characters around every edge the scans draw: white space of each kind, the full-width
# forms and their neighbours, COPY's special characters, non-printable ones, astral ones.
EDGES = [
    " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
    "\u2000", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
    "\uff00", "\uff01", "\uff10", "\uff5e", "\uff5f", "\ufeff", "\\", "\x00", "\x7f",
    "\ud800", "𠀀", "😀", "a", "X", "中", "（", "；", "0",
]  # fmt: skip
TEXT = st.text(st.one_of(st.sampled_from(EDGES), st.characters()), max_size=30)


def test_white_space_other_than_the_space_is_never_printable():
    # What _clean_whole rests on, checked over every code point.
    for point in range(sys.maxunicode + 1):
        c = chr(point)
        if _DIRTY.match(c) and not 0xFF01 <= point <= 0xFF5E:
            assert c == " " or not c.isprintable(), hex(point)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_clean_whole_is_the_dirt_search(text):
    assert _clean_whole(text) is (_DIRTY.search(text) is None)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_plain_is_the_copy_special_search(text):
    assert _plain(text) is (_COPY_SPECIAL.search(text) is None)


FEW_DISTINCT = ["有限责任公司（自然人投资或控股）", "a；b", " x ", "", "　", "ok", "\t"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FEW_DISTINCT)))
def test_a_column_of_few_distinct_values_is_cleaned_as_each_value(values):
    assert clean_text_column(values) == [clean_text(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=40))
def test_any_column_is_cleaned_as_each_value(values):
    assert clean_text_column(values) == [clean_text(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, max_size=20))
def test_may_be_blank_finds_every_blank_value(values):
    from expectations._frame import _may_be_blank

    if any(not v or v.isspace() for v in values):
        assert _may_be_blank(values)
