"""Shared helpers of the chain unit tests: funded keys, a genesis, signed transactions, a tiny
token contract, and a builder of chains of blocks (imported by the tests as a plain module)."""

from __future__ import annotations

from collections.abc import Sequence

from pyeth.chain import Block, Chain, ChainConfig, Genesis
from pyeth.chain.builder import build_block
from pyeth.chain.genesis import BLOCK_FORKS, TIME_FORKS
from pyeth.chain.processing import BEACON_ROOTS_ADDRESS
from pyeth.hashing import keccak256
from pyeth.keys import private_key_to_address
from pyeth.state import Account
from pyeth.transactions import FeeMarketTransaction, LegacyTransaction, sign_transaction

CHAIN_ID = 1337
KEYS = [keccak256(b"pyeth chain test key %d" % i) for i in range(4)]
ADDRESSES = [private_key_to_address(k) for k in KEYS]
ETHER = 10**18
BEACON_ROOTS_CODE = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f3580156049"
    "5762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281"
    "555f359062001fff015500"
)

# A token: calldata is to (32 bytes) || amount (32 bytes); balances live at slot = holder.
# Moves the amount (reverts if the caller lacks it) and logs Transfer(from, to) with the amount.
TRANSFER_TOPIC = keccak256(b"Transfer(address,address,uint256)")
TOKEN_CODE = bytes.fromhex(
    "33"  # CALLER
    "54"  # SLOAD                      [bal]
    "602035"  # PUSH1 32 CALLDATALOAD  [amt, bal]
    "80"  # DUP1
    "82"  # DUP3                       [bal, amt, amt, bal]
    "10"  # LT                         [bal < amt, amt, bal]
    "604357"  # PUSH1 fail JUMPI       [amt, bal]
    "80"  # DUP1
    "82"  # DUP3
    "03"  # SUB                        [bal - amt, amt, bal]
    "33"  # CALLER
    "55"  # SSTORE                     [amt, bal]
    "600035"  # PUSH1 0 CALLDATALOAD   [to, amt, bal]
    "80"  # DUP1
    "54"  # SLOAD                      [bal_to, to, amt, bal]
    "82"  # DUP3
    "01"  # ADD                        [bal_to + amt, to, amt, bal]
    "81"  # DUP2                       [to, bal_to + amt, to, amt, bal]
    "55"  # SSTORE                     [to, amt, bal]
    "81"  # DUP2
    "5f"  # PUSH0
    "52"  # MSTORE (amount at memory 0) [to, amt, bal]
    "33"  # CALLER                     [from, to, amt, bal]
    "7f"
    + TRANSFER_TOPIC.hex()  # PUSH32 topic
    + "60205f"  # PUSH1 32 PUSH0         [0, 32, topic, from, to, ...]
    "a3"  # LOG3
    "00"  # STOP
    "5b5f5ffd"  # fail: JUMPDEST PUSH0 PUSH0 REVERT
)
TOKEN_ADDRESS = bytes.fromhex("00000000000000000000000000000000000070cc")
# Stores BLOCKHASH(NUMBER - 1) at slot NUMBER.
BLOCKHASH_RECORDER = bytes.fromhex("6001430340435500")
BLOCKHASH_RECORDER_ADDRESS = bytes.fromhex("00000000000000000000000000000000000b10c4")


assert TOKEN_CODE.index(bytes.fromhex("5b5f5ffd")) == 0x43  # the JUMPI target above


def make_genesis(extra: dict[bytes, Account] | None = None) -> Genesis:
    alloc = {address: Account(balance=1000 * ETHER) for address in ADDRESSES}
    alloc[BEACON_ROOTS_ADDRESS] = Account(
        nonce=1, code=BEACON_ROOTS_CODE, code_hash=keccak256(BEACON_ROOTS_CODE)
    )
    alloc[TOKEN_ADDRESS] = Account(
        nonce=1,
        code=TOKEN_CODE,
        code_hash=keccak256(TOKEN_CODE),
        storage={int.from_bytes(a, "big"): 10**6 for a in ADDRESSES},
    )
    alloc[BLOCKHASH_RECORDER_ADDRESS] = Account(
        nonce=1, code=BLOCKHASH_RECORDER, code_hash=keccak256(BLOCKHASH_RECORDER)
    )
    alloc.update(extra or {})
    config = ChainConfig(
        chain_id=CHAIN_ID,
        fork_blocks={key: 0 for _, key in BLOCK_FORKS},
        fork_times={
            key: 0 for fork, key in TIME_FORKS[: TIME_FORKS.index(("Cancun", "cancunTime")) + 1]
        },
    )
    return Genesis(config=config, alloc=alloc, gas_limit=30_000_000)


def transfer(
    key_index: int, nonce: int, to: bytes, value: int = 1, tip: int = 1
) -> FeeMarketTransaction:
    """A signed ETH transfer from KEYS[key_index]."""
    tx = FeeMarketTransaction(
        chain_id=CHAIN_ID,
        nonce=nonce,
        max_priority_fee_per_gas=tip,
        max_fee_per_gas=10**11,
        gas_limit=21_000,
        to=to,
        value=value,
    )
    return sign_transaction(tx, KEYS[key_index], CHAIN_ID)


def call(
    key_index: int, nonce: int, to: bytes, data: bytes = b"", gas: int = 200_000
) -> LegacyTransaction:
    """A signed legacy call from KEYS[key_index] (EIP-155)."""
    tx = LegacyTransaction(nonce=nonce, gas_price=10**10, gas_limit=gas, to=to, data=data)
    return sign_transaction(tx, KEYS[key_index], CHAIN_ID)


def token_transfer(key_index: int, nonce: int, to: bytes, amount: int) -> LegacyTransaction:
    data = to.rjust(32, b"\0") + amount.to_bytes(32, "big")
    return call(key_index, nonce, TOKEN_ADDRESS, data)


def extend(
    chain: Chain,
    count: int,
    parent_hash: bytes | None = None,
    txs_per_block: Sequence[Sequence[object]] | None = None,
    timestamp_step: int = 12,
    coinbase: bytes = bytes(20),
    import_blocks: bool = True,
) -> list[Block]:
    """Build (and import) `count` blocks on `parent_hash` (the head by default)."""
    blocks = []
    parent = chain.head_hash if parent_hash is None else parent_hash
    for i in range(count):
        header = chain.get_header(parent)
        assert header is not None
        txs = list(txs_per_block[i]) if txs_per_block else []
        built = build_block(
            chain,
            txs,  # type: ignore[arg-type]
            parent_hash=parent,
            timestamp=header.timestamp + timestamp_step,
            coinbase=coinbase,
            parent_beacon_block_root=keccak256(parent),
        )
        assert not built.rejected, built.rejected
        if import_blocks:
            chain.import_block(built.block)
        blocks.append(built.block)
        parent = built.block.hash
    return blocks
