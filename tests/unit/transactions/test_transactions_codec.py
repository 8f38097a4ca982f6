"""decode_transaction / encode_transaction: one example of each type, and a table of the
malformed encodings that must each raise DecodingError naming what was wrong."""

import pytest

from pyeth.errors import DecodingError
from pyeth.hashing import keccak256
from pyeth.sedes import encode
from pyeth.transactions import (
    AccessListTransaction,
    BlobTransaction,
    FeeMarketTransaction,
    LegacyTransaction,
    decode_transaction,
    encode_transaction,
)

TO = bytes.fromhex("3535353535353535353535353535353535353535")
ACCESS_LIST = ((b"\x01" * 20, (0, 2**256 - 1)), (b"\x02" * 20, ()))
BLOB_HASH = b"\x01" + b"\x00" * 31

EXAMPLES = [
    LegacyTransaction(9, 20 * 10**9, 21000, TO, 10**18, b"", 37, 1, 2),
    LegacyTransaction(0, 1, 53000, None, 0, b"\x60\x00", 27, 1, 2),
    AccessListTransaction(1, 0, 10, 30000, TO, 5, b"\x00\xff", ACCESS_LIST, 1, 3, 4),
    FeeMarketTransaction(1, 2, 1, 100, 30000, None, 0, b"init", ACCESS_LIST, 0, 3, 4),
    BlobTransaction(1, 3, 1, 100, 30000, TO, 0, b"", (), 7, (BLOB_HASH,), 1, 3, 4),
]


@pytest.mark.parametrize("tx", EXAMPLES, ids=lambda tx: type(tx).__name__)
def test_round_trip_and_hash(tx):
    raw = encode_transaction(tx)
    assert decode_transaction(raw) == tx
    assert tx.hash == keccak256(raw)
    if tx.TYPE:
        assert raw[0] == tx.TYPE
    else:
        assert raw[0] >= 0xC0


def test_eip155_example_encoding():
    """The signed transaction of the EIP-155 example."""
    raw = bytes.fromhex(
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
        "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f"
        "761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
    )
    tx = decode_transaction(raw)
    assert isinstance(tx, LegacyTransaction)
    assert (tx.nonce, tx.gas_price, tx.gas_limit, tx.to, tx.value) == (
        9,
        20 * 10**9,
        21000,
        TO,
        10**18,
    )
    assert (tx.v, tx.chain_id) == (37, 1)
    assert encode_transaction(tx) == raw


def _legacy_fields(**changes):
    """The RLP item of the first example with some fields replaced by raw items."""
    names = [name for name, _ in LegacyTransaction.FIELDS]
    item = [sedes.serialize(getattr(EXAMPLES[0], name)) for name, sedes in LegacyTransaction.FIELDS]
    for name, value in changes.items():
        item[names.index(name)] = value
    return encode(item)


def _typed(tx_type, fields):
    return bytes([tx_type]) + encode(fields)


VALID_TYPE_2 = encode_transaction(EXAMPLES[3])
VALID_TYPE_3 = encode_transaction(EXAMPLES[4])


MALFORMED = [
    (b"", "empty"),
    (b"\x80", "RLP byte string"),
    (b"\xb8\x38" + b"\x00" * 56, "RLP byte string"),
    (b"\x05" + VALID_TYPE_2[1:], "unsupported transaction type 0x05"),
    (b"\x04" + VALID_TYPE_2[1:], "SetCodeTransaction \\(type 4\\): expected 13 fields, got 12"),
    (b"\x00" + VALID_TYPE_2[1:], "unsupported transaction type 0x00"),
    (b"\x7f", "unsupported transaction type 0x7f"),
    (b"\x02", "FeeMarketTransaction .type 2.: RLP: input is empty"),
    (VALID_TYPE_2 + b"\x00", "bytes after the item"),
    (VALID_TYPE_2[:-1], "needs"),
    (encode_transaction(EXAMPLES[0])[:-5], "needs"),
    (_legacy_fields(nonce=b"\x00\x09"), "nonce: non-canonical integer"),
    (_legacy_fields(value=b"\x00"), "value: non-canonical integer"),
    (_legacy_fields(gas_price=[b"\x01"]), "gas_price: expected an integer, got a list"),
    (_legacy_fields(to=b"\x35" * 19), "to: address must be 20 bytes or empty, got 19"),
    (_legacy_fields(to=b"\x00" + TO), "to: address must be 20 bytes or empty, got 21"),
    (_legacy_fields(data=[]), "data: expected a byte string, got a list"),
    (_legacy_fields(r=b"\x01" * 33), "r: integer of 33 bytes exceeds 256 bits"),
    (encode([b""] * 8), "LegacyTransaction .type 0.: expected 9 fields, got 8"),
    (encode([b""] * 10), "expected 9 fields, got 10"),
    (_typed(1, [b""] * 12), "AccessListTransaction .type 1.: expected 11 fields, got 12"),
    (_typed(2, [b"\x01"]), "expected 12 fields, got 1"),
    (_typed(2, b"\x01"), "expected an RLP list"),
    (
        _typed(1, [b"\x01", b"", b"", b"", b"", b"", b"", [[b"\x01" * 20, [b"\x01"]]]] + [b""] * 3),
        "access_list: item 0: entry: storage_keys: item 0: expected 32 bytes, got 1",
    ),
    (
        _typed(1, [b"\x01", b"", b"", b"", b"", b"", b"", [[b"\x01" * 20]]] + [b""] * 3),
        "access_list: item 0: entry: expected 2 fields, got 1",
    ),
    (
        _typed(3, [b"\x01", b"", b"", b"", b"", b"", b"", b"", [], b"", [], b"", b"", b""]),
        "BlobTransaction .type 3.: to: expected 20 bytes, got 0",
    ),
    (
        _typed(3, [[b""] * 14, [b"\x00" * 8], [b"\x00" * 48], [b"\x00" * 48]]),
        "network form",
    ),
    (VALID_TYPE_3[:1] + VALID_TYPE_3[2:], "bytes after the item"),
]


@pytest.mark.parametrize(
    ("raw", "problem"), [pytest.param(raw, problem, id=problem) for raw, problem in MALFORMED]
)
def test_malformed_encodings_raise_decoding_error(raw, problem):
    with pytest.raises(DecodingError, match=problem):
        decode_transaction(raw)


def test_rejects_non_bytes():
    with pytest.raises(DecodingError, match="must be bytes"):
        decode_transaction("0xf8")  # type: ignore[arg-type]


def test_set_code_transaction_round_trip_and_authority():
    """Type 4 (EIP-7702): wire round trip, sender recovery, and the authority of an
    authorization signed with the same key."""
    from pyeth.keys import private_key_to_address
    from pyeth.transactions import recover_sender, sign_transaction
    from pyeth.transactions.authorization import recover_authority, sign_authorization
    from pyeth.transactions.model import SetCodeTransaction

    key = bytes(31) + b"\x07"
    auth = sign_authorization(1, b"\x42" * 20, 5, key)
    tx = SetCodeTransaction(
        chain_id=1,
        nonce=3,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10,
        gas_limit=100_000,
        to=b"\x11" * 20,
        authorization_list=(auth,),
    )
    signed = sign_transaction(tx, key, 1)
    raw = encode_transaction(signed)
    assert raw[0] == 4
    assert decode_transaction(raw) == signed
    assert recover_sender(decode_transaction(raw)) == private_key_to_address(key)
    assert recover_authority(auth) == private_key_to_address(key)
