"""Environment and block opcodes: account reads with EIP-2929 cold/warm costs (BALANCE,
EXTCODESIZE, EXTCODECOPY, EXTCODEHASH), SELFBALANCE, the transaction and block values, the
256-block BLOCKHASH window, BLOBHASH (EIP-4844) and precompile calls from code."""

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak

from evm.frame import BlockEnv
from tests.helpers.bytecode import Op, gas_of, mstore_bytes, return_word
from tests.helpers.execution import (
    COINBASE,
    GAS_PRICE,
    SENDER,
    TARGET,
    AccountSpec,
    block_env,
    gas_used,
    run,
    word,
)

OTHER = bytes.fromhex("0000000000000000000000000000000000000bbb")
EMPTY = bytes.fromhex("00000000000000000000000000000000000e3e3e")
OTHER_CODE = bytes.fromhex("6001600201")
IDENTITY = (4).to_bytes(20, "big")
SHA256 = (2).to_bytes(20, "big")


def keccak(data: bytes) -> bytes:
    return pycryptodome_keccak.new(data=data, digest_bits=256).digest()


@pytest.mark.parametrize(
    "read,expected",
    [
        (Op.BALANCE, 77),
        (Op.EXTCODESIZE, len(OTHER_CODE)),
        (Op.EXTCODEHASH, int.from_bytes(keccak(OTHER_CODE), "big")),
    ],
    ids=["BALANCE", "EXTCODESIZE", "EXTCODEHASH"],
)
def test_account_reads_cold_then_warm(read, expected: int) -> None:  # type: ignore[no-untyped-def]
    fragment = Op.POP(read(OTHER))
    code = Op.SSTORE(0, gas_of(fragment)) + Op.SSTORE(1, gas_of(fragment))
    code += return_word(read(OTHER))
    result, state = run(code, accounts={OTHER: AccountSpec(code=OTHER_CODE, balance=77)})
    assert result.output == word(expected)
    assert state.get_storage(TARGET, 0) == 3 + 2600 + 2
    assert state.get_storage(TARGET, 1) == 3 + 100 + 2


@pytest.mark.parametrize(
    "address,spec,expected",
    [
        (EMPTY, None, 0),  # no account
        (EMPTY, AccountSpec(), 0),
        (EMPTY, AccountSpec(balance=1), int.from_bytes(keccak(b""), "big")),  # exists, no code
        (IDENTITY, None, 0),  # precompiles have no account
    ],
)
def test_extcodehash_of_missing_and_empty_accounts(
    address: bytes, spec: AccountSpec | None, expected: int
) -> None:
    result, _ = run(return_word(Op.EXTCODEHASH(address)), accounts={address: spec} if spec else {})
    assert result.output == word(expected)


def test_extcodecopy_pads_and_prices() -> None:
    copy = Op.EXTCODECOPY(OTHER, 0, 3, 8)
    code = Op.SSTORE(0, gas_of(copy)) + Op.RETURN(0, 32)
    result, state = run(code, accounts={OTHER: AccountSpec(code=OTHER_CODE)})
    assert result.output == OTHER_CODE[3:] + bytes(30)
    # Pushes 8, 3, 0, PUSH20; cold 2600; copy 3 per word; one word of memory.
    assert state.get_storage(TARGET, 0) == 3 + 3 + 2 + 3 + 2600 + 3 + 3


def test_selfbalance_and_balance_of_self() -> None:
    code = Op.SSTORE(0, Op.SELFBALANCE) + Op.SSTORE(1, gas_of(Op.POP(Op.SELFBALANCE)))
    code += Op.SSTORE(2, gas_of(Op.POP(Op.BALANCE(Op.ADDRESS))))
    _, state = run(code, target_balance=123)
    assert state.get_storage(TARGET, 0) == 123
    assert state.get_storage(TARGET, 1) == 5 + 2
    assert state.get_storage(TARGET, 2) == 2 + 100 + 2  # the target is warm


@pytest.mark.parametrize(
    "opcode,expected",
    [
        (Op.ORIGIN, int.from_bytes(SENDER, "big")),
        (Op.CALLER, int.from_bytes(SENDER, "big")),
        (Op.ADDRESS, int.from_bytes(TARGET, "big")),
        (Op.CALLVALUE, 0),
        (Op.GASPRICE, GAS_PRICE),
        (Op.COINBASE, int.from_bytes(COINBASE, "big")),
        (Op.TIMESTAMP, 1_700_000_000),
        (Op.NUMBER, 100),
        (Op.PREVRANDAO, 0),
        (Op.GASLIMIT, 30_000_000),
        (Op.CHAINID, 1),
        (Op.BASEFEE, 7),
        (Op.BLOBBASEFEE, 1),
        (Op.RETURNDATASIZE, 0),
    ],
    ids=lambda value: repr(value),
)
def test_context_values(opcode, expected: int) -> None:  # type: ignore[no-untyped-def]
    result, _ = run(return_word(opcode))
    assert result.output == word(expected)
    assert gas_used(result) == 2 + 13


def _block_with_hashes(number: int, count: int) -> BlockEnv:
    block = block_env(number=number)
    block.block_hashes = [word(0xB0000 + n) for n in range(number - count, number)]
    return block


@pytest.mark.parametrize(
    "asked,expected",
    [
        (999, 0xB0000 + 999),  # the parent
        (1000 - 256, 0xB0000 + 744),  # the oldest in the window
        (1000 - 257, 0),  # just outside it
        (1000, 0),  # the current block
        (1001, 0),
        (2**256 - 1, 0),
        (0, 0),
    ],
)
def test_blockhash_window(asked: int, expected: int) -> None:
    result, _ = run(return_word(Op.BLOCKHASH(asked)), block=_block_with_hashes(1000, 256))
    assert result.output == word(expected)
    assert gas_used(result) == (2 if asked == 0 else 3) + 20 + 13


def test_blockhash_with_few_known_hashes() -> None:
    block = _block_with_hashes(10, 10)  # blocks 0..9
    result, _ = run(return_word(Op.BLOCKHASH(0)), block=block)
    assert result.output == word(0xB0000)


@pytest.mark.parametrize("index,expected", [(0, 0x01AA), (1, 0x01BB), (2, 0), (2**255, 0)])
def test_blobhash(index: int, expected: int) -> None:
    hashes = [word(0x01AA), word(0x01BB)]
    result, _ = run(return_word(Op.BLOBHASH(index)), blob_hashes=hashes)
    assert result.output == word(expected)


def test_identity_precompile_from_code_is_warm() -> None:
    data = bytes(range(1, 41))
    call = Op.POP(Op.STATICCALL(Op.GAS, IDENTITY, 0, 40, 64, 40))
    code = mstore_bytes(0, data) + Op.SSTORE(0, gas_of(call)) + Op.RETURN(64, 40)
    result, state = run(code)
    assert result.output == data
    # Pushes 40, 64, 40, 0, PUSH1 4, GAS; warm 100; memory to 104 bytes (2 -> 4 words);
    # the precompile's 15 + 3 per word; POP.
    pushes = 3 + 3 + 3 + 2 + 3 + 2
    memory = (3 * 4 + 16 // 512) - (3 * 2 + 4 // 512)
    assert state.get_storage(TARGET, 0) == pushes + 100 + memory + 15 + 3 * 2 + 2


def test_precompile_out_of_gas_fails_the_call_only() -> None:
    code = Op.SSTORE(0, Op.ADD(Op.CALL(59, SHA256, 0, 0, 0, 0, 0), 10))
    code += Op.SSTORE(1, Op.ADD(Op.CALL(60, SHA256, 0, 0, 0, 0, 32), 10)) + Op.SSTORE(
        2, Op.MLOAD(0)
    )
    result, state = run(code)
    assert result.success
    assert state.get_storage(TARGET, 0) == 10
    assert state.get_storage(TARGET, 1) == 11
    assert state.get_storage(TARGET, 2).to_bytes(32, "big").hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256("")
    )
