"""Memory and copies: expansion gas (MSTORE at growing offsets, MSTORE8, MLOAD), MCOPY with
overlaps (EIP-5656), KECCAK256, CALLDATALOAD/CALLDATACOPY/CODECOPY zero padding, and
RETURNDATACOPY halting when it reads past the return data (EIP-211).

Memory cost of w words (Yellow Paper): 3 * w + w * w // 512, charged on the increase."""

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak

from tests.helpers.bytecode import Bytecode, Op, gas_of, mstore_bytes, push_gas, return_word
from tests.helpers.execution import TARGET, AccountSpec, gas_used, run, word

MAX = 2**256 - 1
CALLEE = bytes.fromhex("00000000000000000000000000000000000ca11e")
TARGET_2 = bytes.fromhex("00000000000000000000000000000000000ca112")


def memory_cost(words: int) -> int:
    return 3 * words + words * words // 512


def words(size: int) -> int:
    return (size + 31) // 32


def keccak(data: bytes) -> bytes:
    """An oracle independent of evm.hashing (pycryptodome rather than pysha3)."""
    return pycryptodome_keccak.new(data=data, digest_bits=256).digest()


# --- expansion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset,new_words",
    [
        (0, 1),
        (1, 2),  # bytes 1..32 straddle two words
        (32, 2),
        (992, 32),
        (32 * 1000 - 32, 1000),
        (0x10000 - 32, 2048),
        (0x100000 - 32, 32768),  # quadratic part dominates: 98304 + 2097152
    ],
)
def test_mstore_expansion_gas(offset: int, new_words: int) -> None:
    result, _ = run(Op.MSTORE(offset, 1) + Op.STOP, gas=10_000_000)
    assert result.success
    assert gas_used(result, 10_000_000) == 3 + push_gas(offset) + 3 + memory_cost(new_words)


def test_mstore_at_growing_offsets_pays_only_the_increase() -> None:
    fragments = [Op.MSTORE(0, 1), Op.MSTORE(64, 1), Op.MSTORE(32, 1), Op.MSTORE(1024, 1)]
    code = Bytecode()
    for slot, fragment in enumerate(fragments):
        code += Op.SSTORE(slot, gas_of(fragment))
    result, state = run(code + Op.STOP)
    assert result.success
    # 3 (PUSH1 1) + offset push + 3 (MSTORE) + expansion from the previous size.
    expected = [
        3 + 2 + 3 + memory_cost(1),
        3 + 3 + 3 + memory_cost(3) - memory_cost(1),
        3 + 3 + 3,  # inside memory already
        3 + 3 + 3 + memory_cost(33) - memory_cost(3),
    ]
    assert [state.get_storage(TARGET, slot) for slot in range(4)] == expected


def test_msize_after_reads_and_writes() -> None:
    code = Op.MLOAD(0x20) + Op.POP + Op.MSTORE8(0x5F, 0xAA) + return_word(Op.MSIZE)
    result, _ = run(code)
    assert result.output == word(0x60)
    # return_word's MSTORE at 0 finds memory grown already: it pays no expansion (13 - 3).
    mload = 3 + 3 + memory_cost(2)
    mstore8 = 3 + 3 + 3 + memory_cost(3) - memory_cost(2)
    assert gas_used(result) == mload + 2 + mstore8 + 2 + 10


def test_mstore8_expands_by_one_byte_rounded_to_a_word() -> None:
    result, _ = run(Op.MSTORE8(32, 0xFF) + return_word(Op.MSIZE))
    assert result.output == word(64)


def test_mload_at_an_unpayable_offset_burns_all_gas() -> None:
    result, _ = run(Op.MLOAD(2**64) + Op.STOP)
    assert not result.success
    assert result.gas_left == 0


def test_zero_size_access_at_a_huge_offset_does_not_expand() -> None:
    code = Op.KECCAK256(2**200, 0) + Op.POP + Op.RETURN(2**255, 0)
    result, _ = run(code)
    assert result.success
    assert result.output == b""
    assert gas_used(result) == (2 + 3 + 30) + 2 + (2 + 3 + 0)


def test_mstore_then_mload_round_trip() -> None:
    value = int.from_bytes(bytes(range(32)), "big")
    result, _ = run(Op.MSTORE(7, value) + return_word(Op.MLOAD(7)))
    assert result.output == word(value)


# --- MCOPY (EIP-5656) -------------------------------------------------------------------


PATTERN = bytes(range(32)) + bytes(range(0x20, 0x40))  # two words: 00..1f, 20..3f


@pytest.mark.parametrize(
    "destination,source,size,expected_memory",
    [
        # EIP-5656's own cases.
        (0, 32, 32, PATTERN[32:] + PATTERN[32:]),
        (0, 0, 32, PATTERN),
        (0, 1, 8, PATTERN[1:9] + PATTERN[8:]),  # overlapping, source after destination
        (1, 0, 8, PATTERN[:1] + PATTERN[0:8] + PATTERN[9:]),  # overlapping, source before
        # Longer overlaps both ways: the copy behaves as if through a temporary buffer.
        (4, 0, 40, PATTERN[:4] + PATTERN[:40] + PATTERN[44:]),
        (0, 4, 40, PATTERN[4:44] + PATTERN[40:]),
        (5, 5, 20, PATTERN),
        (0, 0, 0, PATTERN),
    ],
)
def test_mcopy_overlaps(destination: int, source: int, size: int, expected_memory: bytes) -> None:
    code = mstore_bytes(0, PATTERN) + Op.SSTORE(0, gas_of(Op.MCOPY(destination, source, size)))
    result, state = run(code + Op.RETURN(0, 64))
    assert result.success
    assert result.output == expected_memory
    pushes = push_gas(destination) + push_gas(source) + push_gas(size)
    assert state.get_storage(TARGET, 0) == pushes + 3 + 3 * words(size)


@pytest.mark.parametrize(
    "destination,source,size,end",
    [
        (0x100, 0, 32, 0x120),  # the destination grows memory
        (0, 0x100, 32, 0x120),  # so does the source, which reads zeros
        (0x40, 0x30, 1, 0x41),
    ],
)
def test_mcopy_expansion_gas(destination: int, source: int, size: int, end: int) -> None:
    code = mstore_bytes(0, PATTERN) + Op.SSTORE(0, gas_of(Op.MCOPY(destination, source, size)))
    result, state = run(code + return_word(Op.MSIZE))
    assert result.output == word(words(end) * 32)
    pushes = push_gas(destination) + push_gas(source) + push_gas(size)
    expansion = memory_cost(words(end)) - memory_cost(2)
    assert state.get_storage(TARGET, 0) == pushes + 3 + 3 * words(size) + expansion


def test_mcopy_zero_size_at_huge_offsets_is_free_of_expansion() -> None:
    result, state = run(Op.SSTORE(0, gas_of(Op.MCOPY(2**255, 2**255, 0))) + return_word(Op.MSIZE))
    assert result.output == word(0)  # MSIZE, read before return_word's MSTORE
    assert state.get_storage(TARGET, 0) == 3 + 3 + 2 + 3


# --- KECCAK256 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,size,expected_hex",
    [
        (b"", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        (b"", 32, "290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563"),
    ],
)
def test_keccak256_known_digests(data: bytes, size: int, expected_hex: str) -> None:
    result, _ = run(return_word(Op.KECCAK256(0, size)))
    assert result.output.hex() == expected_hex


@pytest.mark.parametrize("size", [1, 31, 32, 33, 64, 100])
def test_keccak256_of_memory_and_its_gas(size: int) -> None:
    data = bytes((7 * i + 1) % 256 for i in range(size))
    code = mstore_bytes(0, data) + Op.SSTORE(0, gas_of(Op.KECCAK256(0, size) + Op.POP))
    result, state = run(code + return_word(Op.KECCAK256(0, size)))
    assert result.output == keccak(data)
    # mstore_bytes already grew memory to whole words covering the data: no expansion.
    assert state.get_storage(TARGET, 0) == push_gas(size) + 2 + 30 + 6 * words(size) + 2


def test_keccak256_charges_expansion() -> None:
    result, _ = run(Op.KECCAK256(0, 33) + Op.STOP)
    assert gas_used(result) == 3 + 2 + 30 + 6 * 2 + memory_cost(2)


# --- calldata and code copies -------------------------------------------------------------

CALLDATA = bytes.fromhex("0102030405")


@pytest.mark.parametrize(
    "offset,expected",
    [
        (0, 0x0102030405 << (27 * 8)),
        (3, 0x0405 << (30 * 8)),
        (4, 0x05 << (31 * 8)),
        (5, 0),
        (32, 0),
        (2**255, 0),
        (MAX, 0),
    ],
)
def test_calldataload_pads_with_zeros(offset: int, expected: int) -> None:
    result, _ = run(return_word(Op.CALLDATALOAD(offset)), data=CALLDATA)
    assert result.output == word(expected)
    assert gas_used(result) == push_gas(offset) + 3 + 13


@pytest.mark.parametrize(
    "memory_offset,data_offset,size,expected",
    [
        (0, 0, 5, CALLDATA + bytes(27)),
        (0, 3, 8, bytes.fromhex("0405") + bytes(30)),
        (0, 0, 40, CALLDATA + bytes(59)),
        (2, 1, 2, bytes(2) + bytes.fromhex("0203") + bytes(28)),
        (0, 2**255, 32, bytes(32)),
        (0, MAX, 3, bytes(32)),
        (2**255, 0, 0, bytes(32)),  # size 0: no expansion at any offset
    ],
)
def test_calldatacopy_pads_with_zeros(
    memory_offset: int, data_offset: int, size: int, expected: bytes
) -> None:
    copy = Op.CALLDATACOPY(memory_offset, data_offset, size)
    result, state = run(Op.SSTORE(0, gas_of(copy)) + Op.RETURN(0, len(expected)), data=CALLDATA)
    assert result.success
    assert result.output == expected
    pushes = push_gas(memory_offset) + push_gas(data_offset) + push_gas(size)
    end = memory_offset + size if size else 0
    expansion = memory_cost(words(end))
    assert state.get_storage(TARGET, 0) == pushes + 3 + 3 * words(size) + expansion


def test_calldatasize() -> None:
    result, _ = run(return_word(Op.CALLDATASIZE), data=CALLDATA)
    assert result.output == word(5)


def test_codecopy_past_the_end_reads_zeros() -> None:
    code = Op.CODECOPY(0, 0, 64) + Op.RETURN(0, 64)
    result, _ = run(code)
    assert result.output == bytes(code) + bytes(64 - len(code))
    assert result.success


def test_codesize_is_the_unpadded_length() -> None:
    code = return_word(Op.CODESIZE)
    result, _ = run(code)
    assert result.output == word(len(code))


# --- RETURNDATACOPY (EIP-211) -------------------------------------------------------------

RETURNS_32 = return_word(0xAB)


def _after_call(copy: Bytecode) -> Bytecode:
    call = Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0) + Op.POP
    return call + copy + Op.RETURN(0, 32)


@pytest.mark.parametrize(
    "data_offset,size,ok",
    [
        (0, 32, True),
        (0, 0, True),
        (32, 0, True),  # offset + size == length is still in bounds
        (31, 1, True),
        (1, 32, False),
        (0, 33, False),
        (33, 0, False),  # even with size 0
        (MAX, 2, False),  # offset + size overflows 256 bits: out of bounds, not wrapped
        (2, MAX, False),
    ],
)
def test_returndatacopy_bounds(data_offset: int, size: int, ok: bool) -> None:
    code = _after_call(Op.RETURNDATACOPY(0, data_offset, size))
    result, _ = run(code, accounts={CALLEE: AccountSpec(code=RETURNS_32)})
    assert result.success is ok
    if ok:
        assert result.output == word(0xAB)[data_offset : data_offset + size].ljust(32, b"\0")
    else:
        assert result.gas_left == 0
        assert result.output == b""


@pytest.mark.parametrize("data_offset,size,ok", [(0, 0, True), (0, 1, False), (1, 0, False)])
def test_returndatacopy_without_a_call_has_empty_data(
    data_offset: int, size: int, ok: bool
) -> None:
    result, _ = run(Op.RETURNDATACOPY(0, data_offset, size) + Op.STOP)
    assert result.success is ok
    if ok:
        assert gas_used(result) == push_gas(size) + push_gas(data_offset) + 2 + 3
    else:
        assert result.gas_left == 0


def test_returndatasize_after_call_and_revert() -> None:
    reverts_5 = Op.REVERT(0, 5)
    code = (
        Op.POP(Op.CALL(Op.GAS, CALLEE, 0, 0, 0, 0, 0))
        + Op.SSTORE(0, Op.RETURNDATASIZE)
        + Op.POP(Op.CALL(Op.GAS, TARGET_2, 0, 0, 0, 0, 0))
        + Op.SSTORE(1, Op.RETURNDATASIZE)
    )
    _, state = run(
        code,
        accounts={CALLEE: AccountSpec(code=RETURNS_32), TARGET_2: AccountSpec(code=reverts_5)},
    )
    assert state.get_storage(TARGET, 0) == 32
    assert state.get_storage(TARGET, 1) == 5
