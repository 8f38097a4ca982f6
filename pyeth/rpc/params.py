"""Parameter parsers: JSON values to Python values, strictly, as the execution-apis spec types
them. Each raises DecodingError/ValueError/TypeError with a message saying what was wrong (the
binding in `api` turns that into -32602).

Quantities are 0x-hex without leading zeros; data is 0x-hex of even length; addresses are 20
bytes (EIP-55 checked when mixed case); block parameters are a tag, a quantity, or (where the
spec allows) a block hash or an EIP-1898 object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pyeth.address import parse_address
from pyeth.calls import AccountOverride, CallRequest
from pyeth.errors import DecodingError
from pyeth.hexutil import hex_to_bytes, hex_to_int, quantity_to_int
from pyeth.transactions import AccessList

UINT64_MAX: Final = 2**64 - 1
UINT256_MAX: Final = 2**256 - 1
BLOCK_TAGS: Final = frozenset(("latest", "earliest", "pending", "safe", "finalized"))
MAX_TOPICS: Final = 4


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block parameter: exactly one of a tag, a number or a hash."""

    tag: str | None = None
    number: int | None = None
    hash: bytes | None = None
    require_canonical: bool = False

    @property
    def is_pending(self) -> bool:
        return self.tag == "pending"


LATEST: Final = BlockRef(tag="latest")


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string, got {type(value).__name__}")
    return value


def quantity(value: Any, what: str = "quantity", limit: int = UINT256_MAX) -> int:
    number = quantity_to_int(_string(value, what), what=what)
    if number > limit:
        raise ValueError(f"{what}: {value} does not fit in {limit.bit_length()} bits")
    return number


def uint64(value: Any) -> int:
    return quantity(value, "quantity", UINT64_MAX)


def uint256(value: Any) -> int:
    return quantity(value, "quantity", UINT256_MAX)


def uint_or_decimal(value: Any, limit: int = UINT64_MAX) -> int:
    """A number given as a quantity or a plain JSON number (eth_feeHistory's blockCount,
    anvil_setBalance's balance)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= limit:
            raise ValueError(f"number {value} out of range")
        return value
    return quantity(value, "quantity", limit)


def data(value: Any) -> bytes:
    return hex_to_bytes(_string(value, "data"), what="data")


def hash32(value: Any) -> bytes:
    return hex_to_bytes(_string(value, "hash"), length=32, what="hash")


def address(value: Any) -> bytes:
    return parse_address(_string(value, "address"))


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {json.dumps(value)[:40]}")
    return value


def storage_slot(value: Any) -> int:
    """A storage key: hex of at most 32 bytes; leading zeros allowed (clients send padded
    hashes as well as quantities)."""
    text = _string(value, "storage slot")
    number = hex_to_int(text, what="storage slot")
    if len(text) - 2 > 64:
        raise ValueError(f"storage slot: more than 32 bytes: {text[:80]}")
    return number


def block_number_or_tag(value: Any) -> BlockRef:
    text = _string(value, "block")
    if text in BLOCK_TAGS:
        return BlockRef(tag=text)
    if text[:2] not in ("0x", "0X"):
        raise ValueError(f"unknown block tag {text[:40]!r}")
    return BlockRef(number=quantity(text, "block number", UINT64_MAX))


def block_ref(value: Any) -> BlockRef:
    """BlockNumberOrTagOrHash: a tag, a number, a 32-byte hash, or EIP-1898's
    {"blockHash", "requireCanonical"} / {"blockNumber"}."""
    if isinstance(value, Mapping):
        keys = set(value)
        if keys - {"blockHash", "blockNumber", "requireCanonical"}:
            raise ValueError(f"unknown block object keys: {sorted(keys)}")
        if "blockHash" in value and "blockNumber" in value:
            raise ValueError("block object has both blockHash and blockNumber")
        if "blockHash" in value:
            canonical = value.get("requireCanonical", False)
            return BlockRef(hash=hash32(value["blockHash"]), require_canonical=boolean(canonical))
        if "blockNumber" in value:
            return block_number_or_tag(value["blockNumber"])
        raise ValueError("block object needs blockHash or blockNumber")
    text = _string(value, "block")
    if len(text) == 66 and text[:2] in ("0x", "0X"):
        return BlockRef(hash=hash32(text))
    return block_number_or_tag(text)


def access_list(value: Any) -> AccessList:
    if not isinstance(value, list):
        raise TypeError("accessList: expected an array")
    entries = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise TypeError(f"accessList[{index}]: expected an object")
        keys = entry.get("storageKeys") or []
        if not isinstance(keys, list):
            raise TypeError(f"accessList[{index}].storageKeys: expected an array")
        slots = tuple(int.from_bytes(hash32(key), "big") for key in keys)
        entries.append((address(entry.get("address")), slots))
    return tuple(entries)


def _field(obj: Mapping[str, Any], key: str, parse: Any) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse(value)
    except (DecodingError, ValueError, TypeError) as exc:
        raise ValueError(f"{key}: {exc}") from None


def call_request(value: Any) -> CallRequest:
    """GenericTransaction: a transaction-shaped object with every field optional."""
    if not isinstance(value, Mapping):
        raise TypeError("expected a transaction object")
    input_data = _field(value, "input", data)
    legacy_data = _field(value, "data", data)
    if input_data is not None and legacy_data is not None and input_data != legacy_data:
        raise ValueError("both input and data given, with different values")
    gas_price = _field(value, "gasPrice", uint256)
    max_fee = _field(value, "maxFeePerGas", uint256)
    tip = _field(value, "maxPriorityFeePerGas", uint256)
    if gas_price is not None and (max_fee is not None or tip is not None):
        raise ValueError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) given")
    if max_fee is not None and tip is not None and tip > max_fee:
        raise ValueError(f"maxPriorityFeePerGas ({tip}) above maxFeePerGas ({max_fee})")
    sender = _field(value, "from", address)
    blob_hashes = value.get("blobVersionedHashes") or []
    if not isinstance(blob_hashes, list):
        raise TypeError("blobVersionedHashes: expected an array")
    return CallRequest(
        sender=bytes(20) if sender is None else sender,
        to=_field(value, "to", address),
        value=_field(value, "value", uint256) or 0,
        data=input_data if input_data is not None else (legacy_data or b""),
        gas=_field(value, "gas", uint64),
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
        access_list=_field(value, "accessList", access_list) or (),
        nonce=_field(value, "nonce", uint64),
        blob_hashes=tuple(hash32(h) for h in blob_hashes),
    )


def has_sender(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("from") is not None


def state_overrides(value: Any) -> dict[bytes, AccountOverride]:
    if not isinstance(value, Mapping):
        raise TypeError("state overrides: expected an object of address -> override")
    overrides = {}
    for key, entry in value.items():
        target = address(key)
        if not isinstance(entry, Mapping):
            raise TypeError(f"override {key}: expected an object")
        unknown = set(entry) - {"balance", "nonce", "code", "state", "stateDiff"}
        if unknown:
            raise ValueError(f"override {key}: unknown fields {sorted(unknown)}")
        if entry.get("state") is not None and entry.get("stateDiff") is not None:
            raise ValueError(f"override {key}: both state and stateDiff given")
        overrides[target] = AccountOverride(
            balance=_field(entry, "balance", uint256),
            nonce=_field(entry, "nonce", uint64),
            code=_field(entry, "code", data),
            state=_field(entry, "state", _storage),
            state_diff=_field(entry, "stateDiff", _storage),
        )
    return overrides


def _storage(value: Any) -> dict[int, int]:
    if not isinstance(value, Mapping):
        raise TypeError("expected an object of slot -> value")
    return {
        int.from_bytes(hash32(slot), "big"): int.from_bytes(hash32(word), "big")
        for slot, word in value.items()
    }


@dataclass(frozen=True, slots=True)
class LogCriteria:
    """A log filter: a block range (or one block by hash), addresses and topic positions.

    `addresses` None matches any address; `topics[i]` None matches anything at position i.
    """

    from_block: BlockRef = LATEST
    to_block: BlockRef = LATEST
    block_hash: bytes | None = None
    addresses: frozenset[bytes] | None = None
    topics: tuple[frozenset[bytes] | None, ...] = ()

    def matches(self, log_address: bytes, log_topics: tuple[bytes, ...]) -> bool:
        if self.addresses is not None and log_address not in self.addresses:
            return False
        if len(self.topics) > len(log_topics):
            return False
        for wanted, topic in zip(self.topics, log_topics, strict=False):
            if wanted is not None and topic not in wanted:
                return False
        return True


def log_criteria(value: Any) -> LogCriteria:
    if not isinstance(value, Mapping):
        raise TypeError("expected a filter object")
    unknown = set(value) - {"fromBlock", "toBlock", "address", "topics", "blockHash"}
    if unknown:
        raise ValueError(f"unknown filter fields {sorted(unknown)}")
    block_hash = _field(value, "blockHash", hash32)
    if block_hash is not None and (
        value.get("fromBlock") is not None or value.get("toBlock") is not None
    ):
        raise ValueError("blockHash cannot be combined with fromBlock or toBlock")
    raw_address = value.get("address")
    addresses = None
    if isinstance(raw_address, list):
        addresses = frozenset(address(a) for a in raw_address) if raw_address else None
    elif raw_address is not None:
        addresses = frozenset((address(raw_address),))
    raw_topics = value.get("topics") or []
    if not isinstance(raw_topics, list):
        raise TypeError("topics: expected an array")
    if len(raw_topics) > MAX_TOPICS:
        raise ValueError(f"topics: at most {MAX_TOPICS} positions")
    topics: list[frozenset[bytes] | None] = []
    for position in raw_topics:
        if position is None:
            topics.append(None)
        elif isinstance(position, list):
            if any(t is None for t in position) or not position:
                topics.append(None)  # a null (or no) alternative matches anything
            else:
                topics.append(frozenset(hash32(t) for t in position))
        else:
            topics.append(frozenset((hash32(position),)))
    while topics and topics[-1] is None:
        topics.pop()
    return LogCriteria(
        from_block=_field(value, "fromBlock", block_number_or_tag) or LATEST,
        to_block=_field(value, "toBlock", block_number_or_tag) or LATEST,
        block_hash=block_hash,
        addresses=addresses,
        topics=tuple(topics),
    )


def typed_data(value: Any) -> dict[str, Any]:
    """eth_signTypedData_v4's document: a JSON object, or a string holding one."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise TypeError("typed data: expected an object")
    for key in ("types", "primaryType", "domain", "message"):
        if key not in value:
            raise ValueError(f"typed data: missing {key}")
    return value


def filter_id(value: Any) -> str:
    text = _string(value, "filter id")
    hex_to_int(text, what="filter id")
    return text.lower()


def percentiles(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise TypeError("rewardPercentiles: expected an array")
    out: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise TypeError("rewardPercentiles: expected numbers")
        if not 0 <= item <= 100 or (out and item < out[-1]):
            raise ValueError("rewardPercentiles: must be increasing values within 0..100")
        out.append(float(item))
    return out
