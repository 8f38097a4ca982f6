"""Header and execution rules: base fee, excess blob gas, gas limit bounds, and each header rule
rejecting with a message that names it."""

import dataclasses

import pytest
from chain_helpers import make_genesis

from pyeth.chain.blocks import Block
from pyeth.chain.validation import (
    calc_base_fee,
    calc_excess_blob_gas,
    check_gas_limit,
    validate_body,
    validate_execution,
    validate_header,
)
from pyeth.errors import InvalidBlock
from pyeth.sedes import BlockHeader, Withdrawal

PARENT = make_genesis().header()


def _child(**changes: object) -> BlockHeader:
    base = dataclasses.replace(
        PARENT,
        parent_hash=PARENT.hash,
        number=1,
        timestamp=PARENT.timestamp + 12,
        base_fee_per_gas=calc_base_fee(PARENT),
        excess_blob_gas=calc_excess_blob_gas(PARENT),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base_fee", "gas_limit", "gas_used", "expected"),
    [
        (1000, 20_000_000, 10_000_000, 1000),  # at target: unchanged
        (1000, 20_000_000, 20_000_000, 1125),  # full: +12.5%
        (1000, 20_000_000, 0, 875),  # empty: -12.5%
        (7, 20_000_000, 10_000_001, 8),  # above target: at least +1
        (7, 20_000_000, 9_999_999, 7),  # a hair below: rounds to no change
        (10**9, 30_000_000, 15_000_000 + 150_000, 10**9 + 1_250_000),
    ],
)
def test_base_fee(base_fee: int, gas_limit: int, gas_used: int, expected: int) -> None:
    parent = dataclasses.replace(
        PARENT, base_fee_per_gas=base_fee, gas_limit=gas_limit, gas_used=gas_used
    )
    assert calc_base_fee(parent) == expected


@pytest.mark.parametrize(
    ("excess", "used", "expected"),
    [(0, 0, 0), (0, 393216, 0), (0, 786432, 393216), (393216, 0, 0), (500000, 131072, 237856)],
)
def test_excess_blob_gas(excess: int, used: int, expected: int) -> None:
    parent = dataclasses.replace(PARENT, excess_blob_gas=excess, blob_gas_used=used)
    assert calc_excess_blob_gas(parent) == expected


@pytest.mark.parametrize(
    ("gas_limit", "parent_gas_limit", "ok"),
    [
        (1024 * 100, 1024 * 100, True),
        (1024 * 100 + 99, 1024 * 100, True),
        (1024 * 100 + 100, 1024 * 100, False),
        (1024 * 100 - 99, 1024 * 100, True),
        (1024 * 100 - 100, 1024 * 100, False),
        (4999, 5000, False),
        (2**63, 2**63, False),
    ],
)
def test_gas_limit_bounds(gas_limit: int, parent_gas_limit: int, ok: bool) -> None:
    if ok:
        check_gas_limit(gas_limit, parent_gas_limit)
    else:
        with pytest.raises(InvalidBlock, match="gas limit"):
            check_gas_limit(gas_limit, parent_gas_limit)


def test_valid_child_passes() -> None:
    validate_header(_child(), PARENT)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"parent_hash": bytes(32)}, "unknown parent"),
        ({"number": 2}, "invalid block number"),
        ({"timestamp": PARENT.timestamp}, "timestamp not after"),
        ({"extra_data": bytes(33)}, "extra data too long"),
        ({"gas_limit": PARENT.gas_limit * 2}, "invalid gas limit"),
        ({"gas_used": PARENT.gas_limit + 1}, "gas used"),
        ({"difficulty": 1}, "difficulty must be 0"),
        ({"nonce": b"\x00" * 7 + b"\x01"}, "nonce must be zero"),
        ({"ommers_hash": bytes(32)}, "ommers hash"),
        ({"base_fee_per_gas": 1}, "invalid base fee"),
        ({"blob_gas_used": 131072 * 7}, "blob gas used above the limit"),
        ({"blob_gas_used": 1}, "not a multiple"),
        ({"excess_blob_gas": 131072}, "incorrect excess blob gas"),
        ({"parent_beacon_block_root": None}, "misses the blob gas fields"),
    ],
)
def test_header_rules(changes: dict, rule: str) -> None:
    with pytest.raises(InvalidBlock, match=rule):
        validate_header(_child(**changes), PARENT)


def test_body_rules() -> None:
    header = _child()
    validate_body(Block(header))
    with pytest.raises(InvalidBlock, match="ommers not allowed"):
        validate_body(Block(header, ommers=(PARENT,)))
    with pytest.raises(InvalidBlock, match="withdrawals root"):
        validate_body(Block(header, withdrawals=(Withdrawal(0, 0, bytes(20), 1),)))
    with pytest.raises(InvalidBlock, match="withdrawals missing"):
        validate_body(Block(header, withdrawals=None))
    with pytest.raises(InvalidBlock, match="transactions root"):
        validate_body(Block(dataclasses.replace(header, transactions_root=bytes(32))))


def test_execution_rules() -> None:
    header = _child()
    args = dict(
        gas_used=header.gas_used,
        blob_gas_used=header.blob_gas_used,
        receipts_root=header.receipts_root,
        logs_bloom=header.logs_bloom,
        state_root=header.state_root,
    )
    validate_execution(header, **args)  # type: ignore[arg-type]
    for name, value, rule in [
        ("gas_used", 1, "invalid gas used"),
        ("blob_gas_used", 131072, "incorrect blob gas used"),
        ("receipts_root", bytes(32), "invalid receipts root"),
        ("logs_bloom", b"\x01" * 256, "invalid logs bloom"),
        ("state_root", bytes(32), "invalid state root"),
    ]:
        with pytest.raises(InvalidBlock, match=rule):
            validate_execution(header, **{**args, name: value})  # type: ignore[arg-type]
