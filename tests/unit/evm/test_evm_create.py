"""Contract creation: CREATE and CREATE2 addresses against published vectors (EIP-1014) and an
independent keccak, code deposit, the 0xEF prefix rejection (EIP-3541), the code size limit
(EIP-170), the init code size limit (EIP-3860), collisions, value and failure handling."""

import pytest
import rlp
from Crypto.Hash import keccak as pycryptodome_keccak

from tests.helpers.bytecode import Bytecode, Op, gas_of, initcode, mstore_bytes, return_word
from tests.helpers.execution import TARGET, AccountSpec, gas_used, run, word


def keccak(data: bytes) -> bytes:
    return pycryptodome_keccak.new(data=data, digest_bits=256).digest()


def create_code(init: Bytecode | bytes, value: int = 0, salt: int | None = None) -> Bytecode:
    """Write `init` to memory at 0, CREATE (or CREATE2 with `salt`) from it and store the
    result in slot 0 and RETURNDATASIZE in slot 1."""
    init = bytes(init)
    if salt is None:
        create = Op.CREATE(value, 0, len(init))
    else:
        create = Op.CREATE2(value, 0, len(init), salt)
    return mstore_bytes(0, init) + Op.SSTORE(0, create) + Op.SSTORE(1, Op.RETURNDATASIZE)


def created(state, slot: int = 0) -> bytes:  # type: ignore[no-untyped-def]
    return state.get_storage(TARGET, slot).to_bytes(20, "big")


# --- addresses ----------------------------------------------------------------------------

# keccak256(rlp([sender, nonce]))[12:] for sender 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0,
# the widely published example.
CREATE_SENDER = bytes.fromhex("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
CREATE_VECTORS = [
    (0, "cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"),
    (1, "343c43a37d37dff08ae8c4a11544c718abb4fcf8"),
    (2, "f778b86fa74e846c4f0a1fbd1335fe81c00a0c91"),
    (3, "fffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c"),
]


@pytest.mark.parametrize("nonce,expected", CREATE_VECTORS)
def test_create_address(nonce: int, expected: str) -> None:
    assert keccak(rlp.encode([CREATE_SENDER, nonce]))[12:].hex() == expected
    result, state = run(create_code(b""), target=CREATE_SENDER, target_nonce=nonce)
    assert result.success
    assert state.get_storage(CREATE_SENDER, 0) == int(expected, 16)
    assert state.get_nonce(CREATE_SENDER) == nonce + 1
    assert state.get_nonce(bytes.fromhex(expected)) == 1  # EIP-161: new contracts start at 1


# EIP-1014's examples whose init code runs successfully (0x00 is STOP; empty code is fine).
CREATE2_VECTORS = [
    (
        "0000000000000000000000000000000000000000",
        0,
        "00",
        "4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38",
    ),
    (
        "deadbeef00000000000000000000000000000000",
        0,
        "00",
        "b928f69bb1d91cd65274e3c79d8986362984fda3",
    ),
    (
        "deadbeef00000000000000000000000000000000",
        0xFEED << 144,  # salt 0x000000000000000000000000feed00..00
        "00",
        "d04116cdd17bebe565eb2422f2497e06cc1c9833",
    ),
    ("0000000000000000000000000000000000000000", 0, "", "e33c0c7f7df4809055c3eba6c09cfe4baf1bd9e0"),
]


@pytest.mark.parametrize("sender,salt,init,expected", CREATE2_VECTORS)
def test_create2_address(sender: str, salt: int, init: str, expected: str) -> None:
    sender_bytes = bytes.fromhex(sender)
    init_code = bytes.fromhex(init)
    independent = keccak(b"\xff" + sender_bytes + word(salt) + keccak(init_code))[12:]
    assert independent.hex() == expected
    result, state = run(create_code(init_code, salt=salt), target=sender_bytes)
    assert result.success
    assert state.get_storage(sender_bytes, 0) == int(expected, 16)


def test_create2_gas_hashes_the_init_code() -> None:
    """32000 + (2 + 6) per word of init code (EIP-3860 + hashing) + memory; here 1 word."""
    code = Op.MSTORE8(0, 0) + Op.SSTORE(0, gas_of(Op.POP(Op.CREATE2(0, 0, 1, 0))))
    _, state = run(code)
    pushes = 2 + 3 + 2 + 2  # salt 0, size 1, offset 0, value 0
    # The child (one STOP) costs 0 and its gas comes back; no deposit for empty code.
    assert state.get_storage(TARGET, 0) == pushes + 32000 + 8 + 2


def test_create_gas_is_32000_plus_2_per_word() -> None:
    code = Op.SSTORE(0, gas_of(Op.POP(Op.CREATE(0, 0, 64))))
    _, state = run(code)
    # Pushes 64, 0, 0; memory grows to two words (6); two zero words of init code.
    assert state.get_storage(TARGET, 0) == (3 + 2 + 2) + 32000 + 2 * 2 + 6 + 2


# --- deposit and results --------------------------------------------------------------------


def test_created_contract_runs_its_runtime_code() -> None:
    runtime = return_word(0x42)
    code = create_code(initcode(runtime))
    code += Op.POP(Op.CALL(Op.GAS, Op.SLOAD(0), 0, 0, 0, 0, 32)) + Op.RETURN(0, 32)
    result, state = run(code)
    address = created(state)
    assert state.get_code(address) == bytes(runtime)
    assert state.get_nonce(address) == 1
    assert state.get_storage(TARGET, 1) == 0  # RETURNDATASIZE after a successful create
    assert result.output == word(0x42)


def test_code_deposit_costs_200_per_byte() -> None:
    runtime = bytes(range(1, 11))
    init = initcode(runtime)
    code = mstore_bytes(0, bytes(init)) + Op.SSTORE(0, gas_of(Op.POP(Op.CREATE(0, 0, len(init)))))
    _, state = run(code)
    # Init code: CODECOPY(0, offset, 10) = 3 + 3 + 2 + 3 + copy 3 + memory 3;
    # RETURN(0, 10) = 3 + 2 + 0. Then the deposit.
    init_gas = (3 + 3 + 2 + 3 + 3 + 3) + (3 + 2)
    pushes = 3 + 2 + 2
    assert state.get_storage(TARGET, 0) == pushes + 32000 + 2 * 1 + init_gas + 200 * 10 + 2


def test_revert_in_init_code_returns_its_data() -> None:
    init = Op.MSTORE(0, 0xBAD) + Op.REVERT(0, 32)
    result, state = run(create_code(init))
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_storage(TARGET, 1) == 32
    assert state.get_nonce(TARGET) == 2  # the nonce is spent anyway


def test_create_with_value_and_with_too_little_balance() -> None:
    result, state = run(create_code(b"", value=7), target_balance=10)
    address = created(state)
    assert state.get_balance(address) == 7
    assert state.get_balance(TARGET) == 3
    result, state = run(create_code(b"", value=11), target_balance=10)
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_nonce(TARGET) == 1  # not spent: the check comes before the increment


def test_create2_collision_fails_and_burns_the_child_gas() -> None:
    code = Op.SSTORE(0, gas_of(Op.POP(Op.CREATE2(0, 0, 0, 0))))
    code += Op.SSTORE(1, gas_of(Op.POP(Op.CREATE2(0, 0, 0, 0))))
    result, state = run(code, gas=10_000_000)
    assert result.success
    first = state.get_storage(TARGET, 0)
    second = state.get_storage(TARGET, 1)
    assert first == 2 * 4 + 32000 + 2  # pushes, create, POP
    # The second lands on the first's address (nonce 1): all but 1/64 of what was left is lost.
    assert second > 9_000_000 * 63 // 64
    assert state.get_nonce(TARGET) == 3


# --- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix,ok",
    [
        (b"\xef", False),
        (b"\xef\x00", False),
        (b"\xef\x01\x00", False),
        (b"\xef" + bytes(31), False),
        (b"\xfe", True),
        (b"\x00\xef", True),  # only the first byte matters
        (b"", True),
    ],
    ids=lambda value: value.hex() if isinstance(value, bytes) else str(value),
)
def test_code_starting_with_0xef_is_rejected(prefix: bytes, ok: bool) -> None:
    """EIP-3541: new code may not start with 0xEF; the child's gas is consumed."""
    init = mstore_bytes(0, prefix) + Op.RETURN(0, len(prefix))
    code = create_code(init) + Op.SSTORE(2, Op.GAS)
    gas = 10_000_000
    result, state = run(code, gas=gas)
    assert result.success
    address = state.get_storage(TARGET, 0)
    assert (address != 0) is ok
    if ok:
        assert state.get_code(address.to_bytes(20, "big")) == prefix
    else:
        # Nothing came back from the child: less than 1/64 of the gas is left.
        assert state.get_storage(TARGET, 2) < gas // 64
        assert state.get_nonce(TARGET) == 2


@pytest.mark.parametrize("size,ok", [(24576, True), (24577, False)])
def test_code_size_limit(size: int, ok: bool) -> None:
    """EIP-170: deployed code may be at most 24576 bytes."""
    init = Op.RETURN(0, size)
    result, state = run(create_code(init), gas=10_000_000)
    assert result.success
    address = state.get_storage(TARGET, 0)
    assert (address != 0) is ok
    if ok:
        assert len(state.get_code(address.to_bytes(20, "big"))) == size


@pytest.mark.parametrize("create", ["CREATE", "CREATE2"])
@pytest.mark.parametrize("size,ok", [(49152, True), (49153, False)])
def test_init_code_size_limit(create: str, size: int, ok: bool) -> None:
    """EIP-3860: init code over 49152 bytes halts the creating frame, burning all its gas."""
    args = (0, 0, size) if create == "CREATE" else (0, 0, size, 0)
    code = Op.SSTORE(0, getattr(Op, create)(*args)) + Op.SSTORE(1, 1)
    result, state = run(code, gas=10_000_000)
    assert result.success is ok
    if ok:
        assert state.get_storage(TARGET, 0) != 0  # zeros: STOP at once, empty code
    else:
        assert result.gas_left == 0
        assert state.get_storage(TARGET, 1) == 0


def test_create_in_a_static_context_fails() -> None:
    result, _ = run(create_code(b""), is_static=True)
    assert not result.success
    assert result.gas_left == 0


def test_create_at_depth_1024_fails_softly() -> None:
    result, state = run(create_code(b"") + Op.STOP, depth=1024)
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_nonce(TARGET) == 1
    assert gas_used(result) < 100_000  # the child's gas came back


def test_create_from_a_sender_at_the_maximum_nonce_fails_softly() -> None:
    """EIP-2681: a nonce of 2**64 - 1 cannot be incremented; the create pushes 0."""
    result, state = run(create_code(b"") + Op.STOP, target_nonce=2**64 - 1)
    assert result.success
    assert state.get_storage(TARGET, 0) == 0
    assert state.get_nonce(TARGET) == 2**64 - 1
    assert gas_used(result) < 100_000  # the child's gas came back


def test_create_over_an_account_with_only_a_balance_keeps_it() -> None:
    """No collision (no code, nonce or storage): the new contract keeps the ether already there."""
    address = bytes.fromhex(CREATE_VECTORS[1][1])
    result, state = run(
        create_code(b"", value=5),
        target=CREATE_SENDER,
        target_nonce=1,
        target_balance=10,
        accounts={address: AccountSpec(balance=100)},
    )
    assert result.success
    assert state.get_storage(CREATE_SENDER, 0) == int.from_bytes(address, "big")
    assert state.get_balance(address) == 105
    assert state.get_nonce(address) == 1


def test_create_over_an_account_with_storage_collides() -> None:
    """EIP-7610: storage alone makes a collision."""
    address = bytes.fromhex(CREATE_VECTORS[1][1])
    result, state = run(
        create_code(b"") + Op.STOP,
        target=CREATE_SENDER,
        target_nonce=1,
        accounts={address: AccountSpec(storage={1: 1})},
    )
    assert result.success
    assert state.get_storage(CREATE_SENDER, 0) == 0
    assert state.get_nonce(CREATE_SENDER) == 2
    assert state.get_storage(address, 1) == 1


@pytest.mark.parametrize("gas,ok", [(5_100_000, True), (4_900_000, False)])
def test_code_deposit_out_of_gas_fails_the_create(gas: int, ok: bool) -> None:
    """Returning 24500 bytes needs 4,900,000 gas of deposit (plus 3444 of memory); the child
    gets 63/64 of what is left. Without enough, the create fails and no code is left."""
    result, state = run(create_code(Op.RETURN(0, 24500)), gas=gas)
    assert result.success
    address = state.get_storage(TARGET, 0)
    assert (address != 0) is ok
    if ok:
        assert len(state.get_code(address.to_bytes(20, "big"))) == 24500
    else:
        assert state.get_nonce(TARGET) == 2
        assert state.get_storage(TARGET, 1) == 0  # no return data from a failed deposit
