"""Execution-layer requests (EIP-7685, Prague): what a block asks of the consensus layer, and the
`requests_hash` its header commits to.

Three kinds, each a type byte followed by the concatenated requests of that kind:
- deposits (EIP-6110, type 0): parsed from the `DepositEvent` logs the deposit contract emitted
  in the block's receipts; a log whose layout is not the contract's makes the block invalid;
- withdrawal requests (EIP-7002, type 1) and consolidation requests (EIP-7251, type 2): the
  output of the end-of-block system calls (`system.dequeue_requests`).

A kind with no requests is left out of the list, and the hash is sha256 over the sha256 of each
entry. This module runs no EVM itself and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from typing import Final

from evm.forks import ForkRules
from evm.frame import BlockEnv
from pyeth.chain.system import (
    CONSOLIDATION_REQUEST_ADDRESS,
    WITHDRAWAL_REQUEST_ADDRESS,
    dequeue_requests,
)
from pyeth.errors import InvalidBlock
from pyeth.sedes import Receipt
from pyeth.state import State

DEPOSIT_REQUEST_TYPE: Final = b"\x00"
WITHDRAWAL_REQUEST_TYPE: Final = b"\x01"
CONSOLIDATION_REQUEST_TYPE: Final = b"\x02"
# keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)")
DEPOSIT_EVENT_TOPIC: Final = bytes.fromhex(
    "649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5"
)
DEPOSIT_EVENT_LENGTH: Final = 576  # five offsets, then five length-prefixed padded fields
# The event's fields in ABI order: (name, offset of its length word, size).
DEPOSIT_FIELDS: Final = (
    ("pubkey", 160, 48),
    ("withdrawal credentials", 256, 32),
    ("amount", 320, 8),
    ("signature", 384, 96),
    ("index", 512, 8),
)


def deposit_request(data: bytes) -> bytes:
    """The deposit request in a `DepositEvent` log's data: pubkey, withdrawal credentials,
    amount, signature and index, concatenated.

    Raises:
        InvalidBlock: the data does not have the deposit contract's layout (EIP-6110).
    """
    if len(data) != DEPOSIT_EVENT_LENGTH:
        raise InvalidBlock(
            f"invalid deposit event: {len(data)} bytes of data, expected {DEPOSIT_EVENT_LENGTH}"
        )
    request = b""
    for position, (name, offset, size) in enumerate(DEPOSIT_FIELDS):
        found_offset = int.from_bytes(data[32 * position : 32 * position + 32], "big")
        if found_offset != offset:
            raise InvalidBlock(
                f"invalid deposit event: {name} offset {found_offset}, expected {offset}"
            )
        found_size = int.from_bytes(data[offset : offset + 32], "big")
        if found_size != size:
            raise InvalidBlock(f"invalid deposit event: {name} size {found_size}, expected {size}")
        request += data[offset + 32 : offset + 32 + size]
    return request


def deposit_requests(receipts: Iterable[Receipt], deposit_contract: bytes) -> bytes:
    """Every deposit request of a block, in log order (EIP-6110)."""
    return b"".join(
        deposit_request(log.data)
        for receipt in receipts
        for log in receipt.logs
        if log.address == deposit_contract and log.topics[:1] == (DEPOSIT_EVENT_TOPIC,)
    )


def collect_requests(
    state: State,
    env: BlockEnv,
    rules: ForkRules,
    receipts: Sequence[Receipt],
    deposit_contract: bytes,
) -> list[bytes]:
    """The block's requests, each kind's type byte and data, empty kinds left out: deposits
    from `receipts`, then the withdrawal and consolidation system calls on `state`.

    Raises:
        InvalidBlock: a deposit log is malformed, or a system call failed.
    """
    requests = []
    for request_type, data in (
        (DEPOSIT_REQUEST_TYPE, deposit_requests(receipts, deposit_contract)),
        (WITHDRAWAL_REQUEST_TYPE, dequeue_requests(state, env, rules, WITHDRAWAL_REQUEST_ADDRESS)),
        (
            CONSOLIDATION_REQUEST_TYPE,
            dequeue_requests(state, env, rules, CONSOLIDATION_REQUEST_ADDRESS),
        ),
    ):
        if data:
            requests.append(request_type + data)
    return requests


def requests_hash(requests: Iterable[bytes]) -> bytes:
    """EIP-7685: sha256 of the concatenated sha256 of each request entry."""
    outer = sha256()
    for request in requests:
        outer.update(sha256(request).digest())
    return outer.digest()
