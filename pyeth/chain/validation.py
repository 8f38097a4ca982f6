"""Block validity rules, in three steps: a header against its parent, a body against its header,
and the result of executing a block against its header. Each failure raises
`pyeth.errors.InvalidBlock` whose message starts with the rule broken.

The rules are those of the block's fork (`ForkRules`, Cancun unless given): gas limit bounds,
from London the EIP-1559 base fee, from Shanghai the EIP-4895 withdrawals root, from Cancun
EIP-4844 blob gas accounting with the fork's blob schedule (EIP-7691, the blob-parameter-only
forks; from Osaka the blob base fee's reserve price, EIP-7918) and the EIP-4788 parent beacon
root, from Prague the EIP-7685 requests hash, from Osaka the EIP-7934 limit on a block's RLP
size. A header carries exactly the fields of its fork. The consensus part of a header is a
pluggable `HeaderRules` function: EIP-3675's proof of stake from Paris (empty ommers, zero
difficulty and nonce, short extra data), `proof_of_work` before it (the difficulty formula with
the fork's bomb delay; the seal itself is not checked, as in the fixtures' NoProof mode), or a
Clique engine's. This module reads no database and runs no EVM; it compares values the chain
hands it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from evm.forks import CANCUN, ForkRules
from evm.gas import GAS_PER_BLOB
from pyeth.chain.blocks import (
    EMPTY_OMMERS_HASH,
    Block,
    block_transactions_root,
    withdrawals_root,
)
from pyeth.chain.forks import since
from pyeth.errors import InvalidBlock
from pyeth.fees import blob_base_fee
from pyeth.sedes import BlockHeader, Receipt

GAS_LIMIT_BOUND_DIVISOR: Final = 1024
MIN_GAS_LIMIT: Final = 5000
MAX_GAS_LIMIT: Final = 2**63 - 1  # geth's bound; header gas fields are 64-bit integers
MAX_UINT64: Final = 2**64 - 1
BASE_FEE_MAX_CHANGE_DENOMINATOR: Final = 8
ELASTICITY_MULTIPLIER: Final = 2
MAX_EXTRA_DATA_SIZE: Final = 32
ZERO_NONCE: Final = bytes(8)
MIN_DIFFICULTY: Final = 131_072
DIFFICULTY_BOUND_DIVISOR: Final = 2048
BOMB_PERIOD: Final = 100_000
# Blocks the difficulty bomb was pushed back by, per fork (EIP-2384, EIP-3554, EIP-4345,
# EIP-5133); Berlin kept Muir Glacier's.
BOMB_DELAYS: Final = {
    "Berlin": 9_000_000,
    "London": 9_700_000,
    "ArrowGlacier": 10_700_000,
    "GrayGlacier": 11_400_000,
}
BLOB_BASE_COST: Final = 2**13  # EIP-7918: execution gas a blob's price is kept above
MAX_RLP_BLOCK_SIZE: Final = 10 * 2**20 - 2 * 2**20  # EIP-7934: 10 MiB less a 2 MiB margin


def calc_base_fee(parent: BlockHeader) -> int:
    """EIP-1559: the base fee of the child of `parent`; 0 for a child of a pre-London block
    (pyeth runs London from genesis or not at all, so that child has no base fee either)."""
    base_fee = parent.base_fee_per_gas
    if base_fee is None:
        return 0
    target = parent.gas_limit // ELASTICITY_MULTIPLIER
    if parent.gas_used == target:
        return base_fee
    if parent.gas_used > target:
        delta = base_fee * (parent.gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        return base_fee + max(delta, 1)
    delta = base_fee * (target - parent.gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
    return base_fee - delta


def calc_excess_blob_gas(parent: BlockHeader, rules: ForkRules = CANCUN) -> int:
    """EIP-4844: the excess blob gas of the child of `parent`, whose rules are `rules`.

    The child's blob schedule applies (at a fork it differs from the parent's, as in geth and
    the specification). From Osaka (EIP-7918), while blobs cost less than BLOB_BASE_COST gas
    at the parent's base fee, the excess only grows: by the parent's blob gas scaled by
    (max - target) / max instead of falling by the target.
    """
    excess = parent.excess_blob_gas or 0
    used = parent.blob_gas_used or 0
    target = rules.blob_target * GAS_PER_BLOB
    if excess + used < target:
        return 0
    if rules.blob_reserve_price:
        blob_price = GAS_PER_BLOB * blob_base_fee(excess, rules.blob_update_fraction)
        if BLOB_BASE_COST * (parent.base_fee_per_gas or 0) > blob_price:
            return excess + used * (rules.blob_max - rules.blob_target) // rules.blob_max
    return excess + used - target


def header_blob_base_fee(header: BlockHeader, rules: ForkRules = CANCUN) -> int:
    """The blob base fee of the block of `header`, whose rules are `rules`."""
    return blob_base_fee(header.excess_blob_gas or 0, rules.blob_update_fraction)


def check_gas_limit(gas_limit: int, parent_gas_limit: int) -> None:
    """The gas limit may move by less than 1/1024 of the parent's, and not below 5000."""
    if gas_limit > MAX_GAS_LIMIT:
        raise InvalidBlock(f"gas limit too big: {gas_limit} > {MAX_GAS_LIMIT}")
    bound = parent_gas_limit // GAS_LIMIT_BOUND_DIVISOR
    if abs(gas_limit - parent_gas_limit) >= bound:
        raise InvalidBlock(
            f"invalid gas limit: {gas_limit} differs from the parent's {parent_gas_limit} "
            f"by {abs(gas_limit - parent_gas_limit)}, the limit is below {bound}"
        )
    if gas_limit < MIN_GAS_LIMIT:
        raise InvalidBlock(f"invalid gas limit: {gas_limit} below the minimum {MIN_GAS_LIMIT}")


HeaderRules = Callable[[BlockHeader, BlockHeader], None]


def validate_proof_of_stake(header: BlockHeader, parent: BlockHeader) -> None:
    """The consensus part of a header after the merge (EIP-3675): no work, no ommers, and at
    most 32 bytes of extra data. A Clique chain plugs in its own rules instead (signer seal in
    the extra data, difficulty 1 or 2, votes in the nonce)."""
    if len(header.extra_data) > MAX_EXTRA_DATA_SIZE:
        raise InvalidBlock(
            f"extra data too long: {len(header.extra_data)} bytes > {MAX_EXTRA_DATA_SIZE}"
        )
    if header.difficulty != 0:
        raise InvalidBlock(f"difficulty must be 0 after the merge, got {header.difficulty}")
    if header.nonce != ZERO_NONCE:
        raise InvalidBlock("nonce must be zero after the merge")
    if header.ommers_hash != EMPTY_OMMERS_HASH:
        raise InvalidBlock("ommers hash must be the empty list's after the merge")


def calc_difficulty(header: BlockHeader, parent: BlockHeader, bomb_delay: int) -> int:
    """The proof-of-work difficulty of `header` (EIP-100: faster blocks and ommers raise it),
    with the difficulty bomb pushed back by `bomb_delay` blocks."""
    ommers_factor = 1 if parent.ommers_hash == EMPTY_OMMERS_HASH else 2
    adjustment = max(ommers_factor - (header.timestamp - parent.timestamp) // 9, -99)
    difficulty = parent.difficulty + parent.difficulty // DIFFICULTY_BOUND_DIVISOR * adjustment
    bomb_periods = (header.number - bomb_delay) // BOMB_PERIOD - 2
    if bomb_periods >= 0:
        difficulty += 2**bomb_periods
    return max(difficulty, MIN_DIFFICULTY)


def proof_of_work(fork: str) -> HeaderRules:
    """The consensus rules of a header before the merge, in `fork` (whose bomb delay applies):
    the difficulty as the formula gives it and at most 32 bytes of extra data. The ethash seal
    (mix hash and nonce) is not checked, and pyeth takes no ommers (the body check says so)."""
    bomb_delay = BOMB_DELAYS[fork]

    def validate(header: BlockHeader, parent: BlockHeader) -> None:
        if len(header.extra_data) > MAX_EXTRA_DATA_SIZE:
            raise InvalidBlock(
                f"extra data too long: {len(header.extra_data)} bytes > {MAX_EXTRA_DATA_SIZE}"
            )
        expected = calc_difficulty(header, parent, bomb_delay)
        if header.difficulty != expected:
            raise InvalidBlock(f"invalid difficulty: {header.difficulty}, expected {expected}")

    return validate


def validate_header(
    header: BlockHeader,
    parent: BlockHeader,
    consensus: HeaderRules = validate_proof_of_stake,
    rules: ForkRules = CANCUN,
) -> None:
    """Check `header` against its parent's header: the execution-layer rules of its fork
    (`rules`, those `forks.rules_at` gives for the header), and the consensus engine's
    (`consensus`: by default Ethereum's own, proof of work before Paris and proof of stake
    from it)."""
    if header.parent_hash != parent.hash:
        raise InvalidBlock("unknown parent: the parent hash is not the given parent's")
    if header.number != parent.number + 1:
        raise InvalidBlock(
            f"invalid block number: {header.number}, expected parent's {parent.number} + 1"
        )
    if header.timestamp <= parent.timestamp:
        raise InvalidBlock(
            f"timestamp not after the parent's: {header.timestamp} <= {parent.timestamp}"
        )
    if header.timestamp > MAX_UINT64:
        raise InvalidBlock("timestamp does not fit in 64 bits")
    check_gas_limit(header.gas_limit, parent.gas_limit)
    if header.gas_used > header.gas_limit:
        raise InvalidBlock(f"gas used {header.gas_used} above gas limit {header.gas_limit}")
    if consensus is validate_proof_of_stake and not since(rules, "Paris"):
        consensus = proof_of_work(rules.name)  # Ethereum's own engine before the merge
    consensus(header, parent)
    _check_fork_fields(header, rules)
    if header.base_fee_per_gas is not None:
        expected_base_fee = calc_base_fee(parent)
        if header.base_fee_per_gas != expected_base_fee:
            raise InvalidBlock(
                f"invalid base fee: {header.base_fee_per_gas}, expected {expected_base_fee}"
            )
    if header.blob_gas_used is not None:
        _check_blob_gas(header, parent, rules)


# The header fields each fork added, in the order they were added.
_FORK_FIELDS: Final = (
    ("London", ("base_fee_per_gas",), "the base fee (EIP-1559)"),
    ("Shanghai", ("withdrawals_root",), "the withdrawals root (EIP-4895)"),
    (
        "Cancun",
        ("blob_gas_used", "excess_blob_gas", "parent_beacon_block_root"),
        "the blob gas fields and the parent beacon root (EIP-4844, EIP-4788)",
    ),
    ("Prague", ("requests_hash",), "the requests hash (EIP-7685)"),
)


def _check_fork_fields(header: BlockHeader, rules: ForkRules) -> None:
    """A header has the fields of its fork's and the earlier forks, and none of a later's."""
    for fork, names, what in _FORK_FIELDS:
        present = [getattr(header, name) is not None for name in names]
        if since(rules, fork) and not all(present):
            raise InvalidBlock(f"header misses {what}, a field of {rules.name}")
        if not since(rules, fork) and any(present):
            raise InvalidBlock(f"header has {what}, not a field of {rules.name}")


def _check_blob_gas(header: BlockHeader, parent: BlockHeader, rules: ForkRules) -> None:
    """EIP-4844: blob gas used within the fork's limit, whole blobs, the excess as computed."""
    assert header.blob_gas_used is not None
    max_blob_gas = rules.blob_max * GAS_PER_BLOB
    if header.blob_gas_used > max_blob_gas:
        raise InvalidBlock(
            f"blob gas used above the limit: {header.blob_gas_used} > {max_blob_gas}"
            f" ({rules.blob_max} blobs, {rules.name})"
        )
    if header.blob_gas_used % GAS_PER_BLOB:
        raise InvalidBlock(
            f"incorrect blob gas used: {header.blob_gas_used} is not a multiple of {GAS_PER_BLOB}"
        )
    expected_excess = calc_excess_blob_gas(parent, rules)
    if header.excess_blob_gas != expected_excess:
        raise InvalidBlock(
            f"incorrect excess blob gas: {header.excess_blob_gas}, expected {expected_excess}"
        )


def validate_body(block: Block, rules: ForkRules = CANCUN, rlp_size: int | None = None) -> None:
    """Check that the body is the one the header commits to (transactions, ommers,
    withdrawals) and, from Osaka, that the block's RLP (`rlp_size` bytes, measured by the
    caller who has it) is within EIP-7934's limit."""
    header = block.header
    if rlp_size is not None and since(rules, "Osaka") and rlp_size > MAX_RLP_BLOCK_SIZE:
        raise InvalidBlock(
            f"block too big: {rlp_size} bytes of RLP > {MAX_RLP_BLOCK_SIZE} (EIP-7934)"
        )
    if block.ommers:
        if since(rules, "Paris"):
            raise InvalidBlock(f"ommers not allowed after the merge: {len(block.ommers)} given")
        raise InvalidBlock(
            f"block has {len(block.ommers)} ommers: pyeth does not take ommers (uncle blocks)"
        )
    if header.ommers_hash != EMPTY_OMMERS_HASH:
        raise InvalidBlock("invalid ommers hash: the body has no ommers")
    if block_transactions_root(block) != header.transactions_root:
        raise InvalidBlock("invalid transactions root: the body's transactions do not match")
    if not since(rules, "Shanghai"):
        if block.withdrawals is not None:
            raise InvalidBlock(f"withdrawals in the body, not part of a {rules.name} block")
        return
    if block.withdrawals is None:
        raise InvalidBlock("withdrawals missing from the body")
    if withdrawals_root(block.withdrawals) != header.withdrawals_root:
        raise InvalidBlock("invalid withdrawals root: the body's withdrawals do not match")


def validate_execution(
    header: BlockHeader,
    gas_used: int,
    blob_gas_used: int,
    receipts_root: bytes,
    logs_bloom: bytes,
    state_root: bytes,
    receipts: Sequence[Receipt] = (),
    requests_hash: bytes | None = None,
) -> None:
    """Check what executing the block produced against what its header claims (from Prague,
    `requests_hash` is that of the requests the block produced)."""
    if gas_used != header.gas_used:
        raise InvalidBlock(
            f"invalid gas used: header says {header.gas_used}, block used {gas_used}"
        )
    if blob_gas_used != (header.blob_gas_used or 0):
        raise InvalidBlock(
            f"incorrect blob gas used: header says {header.blob_gas_used}, "
            f"transactions use {blob_gas_used}"
        )
    if logs_bloom != header.logs_bloom:
        raise InvalidBlock("invalid logs bloom: the receipts' bloom does not match the header")
    if receipts_root != header.receipts_root:
        raise InvalidBlock(
            f"invalid receipts root: 0x{receipts_root.hex()}, header says "
            f"0x{header.receipts_root.hex()}"
        )
    if requests_hash != header.requests_hash:
        raise InvalidBlock(
            f"invalid requests hash: the block's requests hash to 0x{(requests_hash or b'').hex()}"
            f", header says 0x{(header.requests_hash or b'').hex()}"
        )
    if state_root != header.state_root:
        raise InvalidBlock(
            f"invalid state root: 0x{state_root.hex()}, header says 0x{header.state_root.hex()}"
        )
