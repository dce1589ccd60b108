"""The SIPRI import on the real register (../shared/data/sipri): the TIV the United States
delivered to each recipient over 1950–2023, recomputed from the trade register, agrees with
SIPRI's own TIV table for every recipient within SIPRI's rounding."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from secassist.core.errors import ValidationFailedError
from secassist.reports import sipri
from tests.conftest import SHARED_DATA

DIR = SHARED_DATA / "sipri"
REGISTER = DIR / "sipri_trade_register_1950-2023.csv"
TABLE = DIR / "sipri_us_export_tiv_by_recipient.csv"


@pytest.fixture(scope="module")
def register() -> list[sipri.RegisterRow]:
    return sipri.read_register(REGISTER.read_bytes(), name=REGISTER.name)


@pytest.fixture(scope="module")
def table() -> list[sipri.TableRow]:
    return sipri.read_tiv_table(TABLE.read_bytes(), name=TABLE.name)


def test_the_register_reads_whole(register: list[sipri.RegisterRow]) -> None:
    # SOURCES.md counts 27,953 CSV rows: two records are broken across two physical lines
    # by an unquoted newline, and must come back as one record each (27,951 records).
    assert len(register) == 27_951
    assert sum(r.supplier == "United States" for r in register) == 8_921
    hermes = [r for r in register if r.recipient == "United Nations**" and r.designation == "Hermes-900"]
    assert len(hermes) == 1
    assert hermes[0].tiv_delivered == Decimal(9)
    assert hermes[0].delivery_years == (2016,)
    btr = [
        r for r in register if (r.recipient, r.supplier, r.designation) == ("Thailand", "Ukraine", "BTR-3")
    ]
    btr = [r for r in btr if r.order_year == 2008 and r.number_ordered == 14]
    assert [(r.delivery_years, r.tiv_delivered) for r in btr] == [((2010, 2012), Decimal("3.25"))]


def test_every_recipient_agrees_with_sipris_own_table(
    register: list[sipri.RegisterRow], table: list[sipri.TableRow]
) -> None:
    assert len(table) == 181
    assert {t.supplier for t in table} == {"United States of America"}
    rows = sipri.reconcile(register, table)
    assert {r.recipient for r in rows} == {t.recipient for t in table}  # none only in the register
    disagree = [(r.recipient, r.recomputed, r.sipri, r.tolerance) for r in rows if not r.agrees]
    assert disagree == []
    japan = next(r for r in rows if r.recipient == "Japan")
    assert abs(japan.difference) <= japan.tolerance
    assert japan.sipri == sum(next(t for t in table if t.recipient == "Japan").years.values())
    # The recomputation is not vacuous: the grand total is SIPRI's to within the rounding.
    total = sum(r.recomputed for r in rows)
    assert abs(total - sum(r.sipri for r in rows)) <= sum(r.tolerance for r in rows)
    assert total > 500_000


def test_a_wrong_supplier_does_not_agree(
    register: list[sipri.RegisterRow], table: list[sipri.TableRow]
) -> None:
    # The check can fail: credit the Soviet Union's deliveries to the U.S. table.
    fake = [
        replace(r, supplier="United States") if r.supplier == "Soviet Union" else r
        for r in register
        if r.supplier != "United States"
    ]
    assert any(not r.agrees for r in sipri.reconcile(fake, table))


def test_bad_input_names_the_line() -> None:
    head = REGISTER.read_bytes().split(b"\n")[:12]
    bad = b"\n".join([*head, b"Japan,United States,19x5,,1,,F-86,fighter,1,,1955,New,,1,1,1"])
    with pytest.raises(ValidationFailedError, match=r"bad\.csv line 13 Year of order"):
        sipri.read_register(bad, name="bad.csv")
    with pytest.raises(ValidationFailedError, match="no SIPRI trade-register header"):
        sipri.read_register(b"hello\n", name="x.csv")
    with pytest.raises(ValidationFailedError, match="line 1"):
        sipri.read_tiv_table(b"a,b,1950\n", name="t.csv")
