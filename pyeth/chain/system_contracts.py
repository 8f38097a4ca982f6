"""What the system contracts do when the protocol calls them, written in Python, for the
contracts' published bytecode only.

Every Prague block makes four system calls (see `system`); through the interpreter they were a
third of the work of an automined transfer on a dev chain. For the bytecode the EIPs publish,
which is what mainnet, the test fixtures and `pyeth/genesis/dev.json` deploy, the call from
SYSTEM_ADDRESS has a short, fixed effect, and these functions have that effect directly:

- EIP-4788 beacon roots: slot `timestamp % 8191` := timestamp, slot `that + 8191` := the root.
- EIP-2935 history: slot `(number - 1) % 8191` := the parent hash.
- EIP-7002 / EIP-7251 request queues, only when the queue is empty and the excess and count
  slots are zero (a chain nobody sends requests on): nothing is released and every slot the
  contract writes keeps its zero. Any other queue state goes through the interpreter.

The caller checks the account's code hash first: any other code at these addresses (fixtures
deploy some) runs in the interpreter. tests/unit/chain/test_system_contracts.py runs both ways
on the same states and compares storage and output.
"""

from __future__ import annotations

from typing import Final

from evm.hashing import keccak256
from pyeth.state import State

HISTORY_BUFFER_LENGTH: Final = 8191  # EIP-4788's ring of beacon roots
HISTORY_SERVE_WINDOW: Final = 8191  # EIP-2935's ring of block hashes
_WORD: Final = 1 << 256

BEACON_ROOTS_CODE: Final = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f358015604957"
    "62001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f"
    "359062001fff015500"
)
HISTORY_STORAGE_CODE: Final = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257"
    "611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500"
)
WITHDRAWAL_REQUEST_CODE: Final = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffff146101f457600182026001905f5b5f821115606857810190"
    "83028483029004916001019190604d565b909390049250505036603814608857366101f457346101f4575f52"
    "60205ff35b34106101f457600154600101600155600354806003026004013381556001015f35815560010160"
    "203590553360601b5f5260385f601437604c5fa0600101600355005b6003546002548082038060101160df57"
    "5060105b5f5b8181146101835782810160030260040181604c02815460601b81526014018160010154815260"
    "20019060020154807fffffffffffffffffffffffffffffffff00000000000000000000000000000000168252"
    "906010019060401c908160381c81600701538160301c81600601538160281c81600501538160201c81600401"
    "538160181c81600301538160101c81600201538160081c81600101535360010160e1565b9101809214610195"
    "57906002556101a0565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffff14156101cd57505f5b6001546002828201116101e25750505f6101e8565b01"
    "600290035b5f555f600155604c025ff35b5f5ffd"
)
CONSOLIDATION_REQUEST_CODE: Final = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe1460d35760115f54807fffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffff1461019a57600182026001905f5b5f821115606857810190"
    "83028483029004916001019190604d565b9093900492505050366060146088573661019a573461019a575f52"
    "60205ff35b341061019a57600154600101600155600354806004026004013381556001015f35815560010160"
    "2035815560010160403590553360601b5f5260605f60143760745fa0600101600355005b6003546002548082"
    "038060021160e7575060025b5f5b8181146101295782810160040260040181607402815460601b8152601401"
    "81600101548152602001816002015481526020019060030154905260010160e9565b910180921461013b5790"
    "600255610146565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffff141561017357505f5b6001546001828201116101885750505f61018e565b016001"
    "90035b5f555f6001556074025ff35b5f5ffd"
)
BEACON_ROOTS_CODE_HASH: Final = keccak256(BEACON_ROOTS_CODE)
HISTORY_STORAGE_CODE_HASH: Final = keccak256(HISTORY_STORAGE_CODE)
WITHDRAWAL_REQUEST_CODE_HASH: Final = keccak256(WITHDRAWAL_REQUEST_CODE)
CONSOLIDATION_REQUEST_CODE_HASH: Final = keccak256(CONSOLIDATION_REQUEST_CODE)

# The request queues' storage layout (the same in both contracts): the excess and count of
# requests, then the queue's head and tail indexes.
QUEUE_COUNTER_SLOTS: Final = (0, 1, 2, 3)


def store_beacon_root(state: State, address: bytes, timestamp: int, root: bytes) -> None:
    """EIP-4788's `set`: remember `root` under `timestamp` in the ring buffer."""
    index = timestamp % HISTORY_BUFFER_LENGTH
    state.set_storage(address, index, timestamp)
    state.set_storage(address, index + HISTORY_BUFFER_LENGTH, int.from_bytes(root, "big"))


def store_parent_hash(state: State, address: bytes, number: int, parent_hash: bytes) -> None:
    """EIP-2935's `set`: remember the parent's hash under its number in the ring buffer."""
    slot = ((number - 1) % _WORD) % HISTORY_SERVE_WINDOW  # the EVM's SUB wraps at block 0
    state.set_storage(address, slot, int.from_bytes(parent_hash, "big"))


def queue_is_idle(state: State, address: bytes) -> bool:
    """True when a request contract's dequeue call would release nothing and write nothing:
    no requests queued, none counted this block, no excess carried over."""
    get = state.get_storage
    return not any(get(address, slot) for slot in QUEUE_COUNTER_SLOTS)
