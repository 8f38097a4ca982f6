"""The Prague/Osaka precompiles against the official EEST state-test fixtures (v5.4.0).

Those fixtures exercise a precompile through a small contract: it copies the transaction's
calldata to memory, CALLs (or STATICCALLs, DELEGATECALLs, CALLCODEs) the precompile with a
fixed gas, and stores the call's success flag, the return data size, the keccak of the return
data and, for MODEXP, the gas the call used (measured with GAS before and after). Each expected
post-state gives those stored words, so every case is a precompile vector: input, gas given,
success, output hash and price.

The runner below evaluates just the opcodes these contracts use, with enough gas accounting to
reproduce their GAS measurements and the 63/64 cap on the gas a CALL forwards; a case whose
contract uses anything else is skipped. It calls the precompile table of the post-state's fork,
so the same cases also check that the tables are wired to the right addresses.
"""

import json
from dataclasses import dataclass, field

import pytest
from Crypto.Hash import keccak

from evm.errors import PrecompileFailure
from evm.precompiles import CANCUN_PRECOMPILES, OSAKA_PRECOMPILES, PRAGUE_PRECOMPILES, Precompile
from tests.helpers.fixtures import EEST_FIXTURES

FIXTURES_DIR = EEST_FIXTURES
STATE_TESTS = FIXTURES_DIR / "state_tests"
GROUPS = [
    "prague/eip2537_bls_12_381_precompiles",
    "osaka/eip7951_p256verify_precompiles",
    "osaka/eip7823_modexp_upper_bounds",
    "osaka/eip7883_modexp_gas_increase",
]
FORK_TABLES = {
    "Berlin": CANCUN_PRECOMPILES,  # MODEXP priced by EIP-2565 from Berlin to Prague
    "London": CANCUN_PRECOMPILES,
    "Paris": CANCUN_PRECOMPILES,
    "Shanghai": CANCUN_PRECOMPILES,
    "Cancun": CANCUN_PRECOMPILES,
    "Prague": PRAGUE_PRECOMPILES,
    "Osaka": OSAKA_PRECOMPILES,
}

# Gas the runner charges (Cancun and later): static costs of the opcodes it knows, and the
# warm-account CALL cost (precompiles are always warm).
STATIC_GAS = {
    0x00: 0, 0x01: 3, 0x03: 3, 0x20: 30, 0x34: 2, 0x36: 2, 0x37: 3, 0x3D: 2, 0x3E: 3,
    0x51: 3, 0x55: 0, 0x5A: 2, 0x5F: 2, 0x80: 3, 0x90: 3,
    0xF1: 100, 0xF2: 100, 0xF4: 100, 0xFA: 100,
}  # fmt: skip
CALL_OPS = {0xF1, 0xF2, 0xF4, 0xFA}
GAS_CALL_VALUE = 9000
GAS_CALL_STIPEND = 2300
GAS_NEW_ACCOUNT = 25000
GAS_SSTORE_SET = 20000 + 2100  # a cold zero slot made nonzero, the only kind these contracts do


class Unsupported(Exception):
    """The contract does something the runner does not model."""


class OutOfGas(Exception):
    """The contract itself ran out of gas: the transaction's changes are all undone."""


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def words(size: int) -> int:
    return (size + 31) // 32


@dataclass
class Frame:
    calldata: bytes
    value: int
    gas: int
    precompiles: dict[bytes, Precompile]
    stack: list[int] = field(default_factory=list)
    memory: bytearray = field(default_factory=bytearray)
    returndata: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)
    calls: list[tuple[bytes, bytes, int]] = field(default_factory=list)

    def charge(self, amount: int) -> None:
        self.gas -= amount
        if self.gas < 0:
            raise OutOfGas

    def expand(self, offset: int, size: int) -> None:
        if size == 0:
            return
        old, new = words(len(self.memory)), words(offset + size)
        if new > old:
            cost = lambda w: 3 * w + w * w // 512  # noqa: E731
            self.charge(cost(new) - cost(old))
            self.memory.extend(bytes(32 * new - len(self.memory)))

    def call(self, op: int) -> None:
        stack = self.stack
        requested, target = stack.pop(), stack.pop()
        value = stack.pop() if op in (0xF1, 0xF2) else 0
        args_offset, args_size, ret_offset, ret_size = (stack.pop() for _ in range(4))
        self.expand(args_offset, args_size)
        self.expand(ret_offset, ret_size)
        address = target.to_bytes(20, "big")
        precompile = self.precompiles.get(address)
        extra = 0
        if value:
            extra += GAS_CALL_VALUE + (GAS_NEW_ACCOUNT if op == 0xF1 else 0)
        self.charge(extra)
        available = self.gas - self.gas // 64
        given = min(requested, available) + (GAS_CALL_STIPEND if value else 0)
        self.charge(min(requested, available))
        data = bytes(self.memory[args_offset : args_offset + args_size])
        if precompile is None:  # an empty account before its fork: success, no output
            success, output, used = True, b"", 0
        else:
            price = precompile.gas(data)
            success = price <= given
            if success:
                try:
                    output = precompile.run(data)
                except PrecompileFailure:
                    success = False
            used = price if success else given
        self.calls.append((address, data, given))
        if not success:
            output = b""
        self.gas += given - used
        self.returndata = output
        chunk = output[:ret_size]
        self.memory[ret_offset : ret_offset + len(chunk)] = chunk
        stack.append(int(success))

    def run(self, code: bytes) -> None:
        stack = self.stack
        pc = 0
        while pc < len(code):
            op = code[pc]
            pc += 1
            if 0x60 <= op <= 0x7F:
                size = op - 0x5F
                stack.append(int.from_bytes(code[pc : pc + size].ljust(size, b"\0"), "big"))
                pc += size
                self.charge(3)
                continue
            if op not in STATIC_GAS:
                raise Unsupported(f"opcode {op:#04x}")
            self.charge(STATIC_GAS[op])
            if op == 0x00:
                return
            if op == 0x01:
                stack.append((stack.pop() + stack.pop()) % 2**256)
            elif op == 0x03:
                a, b = stack.pop(), stack.pop()
                stack.append((a - b) % 2**256)
            elif op == 0x20:
                offset, size = stack.pop(), stack.pop()
                self.expand(offset, size)
                self.charge(6 * words(size))
                stack.append(int.from_bytes(keccak256(self.memory[offset : offset + size])))
            elif op == 0x34:
                stack.append(self.value)
            elif op == 0x36:
                stack.append(len(self.calldata))
            elif op in (0x37, 0x3E):
                dest, src, size = stack.pop(), stack.pop(), stack.pop()
                source = self.calldata if op == 0x37 else self.returndata
                if op == 0x3E and src + size > len(source):
                    raise Unsupported("RETURNDATACOPY out of bounds")
                self.expand(dest, size)
                self.charge(3 * words(size))
                self.memory[dest : dest + size] = source[src : src + size].ljust(size, b"\0")
            elif op == 0x3D:
                stack.append(len(self.returndata))
            elif op == 0x51:
                offset = stack.pop()
                self.expand(offset, 32)
                stack.append(int.from_bytes(self.memory[offset : offset + 32]))
            elif op == 0x55:
                key, value = stack.pop(), stack.pop()
                self.charge(GAS_SSTORE_SET if value else 2200)
                self.storage[key] = value
            elif op == 0x5A:
                stack.append(self.gas)
            elif op == 0x5F:
                stack.append(0)
            elif op == 0x80:
                stack.append(stack[-1])
            elif op == 0x90:
                stack[-1], stack[-2] = stack[-2], stack[-1]
            else:
                self.call(op)


def intrinsic_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 21000 + 4 * zeros + 16 * (len(data) - zeros)


def _cases() -> list:
    if not STATE_TESTS.is_dir():
        reason = f"EEST fixtures not found at {STATE_TESTS} (set PYETH_EEST_DIR)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for group in GROUPS:
        for path in sorted((STATE_TESTS / group).glob("*.json")):
            for name, test in json.loads(path.read_text()).items():
                tx = test["transaction"]
                if not tx.get("to") or not test["pre"].get(tx["to"], {}).get("code", "0x")[2:]:
                    continue  # a creation or a call straight into a precompile: no witness
                for fork, posts in test["post"].items():
                    if fork not in FORK_TABLES:
                        continue
                    for post in posts:
                        if post.get("expectException"):
                            continue
                        case_id = f"{path.stem}:{name.split('[')[-1].rstrip(']')}:{fork}"
                        case = (test, fork, post)
                        params.append(pytest.param(case, id=f"{case_id}:{post['indexes']}"))
    return params


@pytest.mark.conformance
@pytest.mark.parametrize("case", _cases())
def test_fixture_case(case: tuple) -> None:
    test, fork, post = case
    tx = test["transaction"]
    indexes = post["indexes"]
    data = bytes.fromhex(tx["data"][indexes["data"]][2:])
    gas_limit = int(tx["gasLimit"][indexes["gas"]], 16)
    value = int(tx["value"][indexes["value"]], 16)
    code = bytes.fromhex(test["pre"][tx["to"]]["code"][2:])
    frame = Frame(data, value, gas_limit - intrinsic_gas(data), FORK_TABLES[fork])
    try:
        frame.run(code)
        actual = {k: v for k, v in frame.storage.items() if v}
    except Unsupported as reason:
        pytest.skip(str(reason))
    except OutOfGas:
        # Some cases give the transaction just enough gas for the precompile's price, so a
        # failing call (which burns all it was given) leaves the contract short: nothing stored.
        actual = {}
    expected = {
        int(k, 16): int(v, 16) for k, v in post["state"][tx["to"]].get("storage", {}).items()
    }
    assert actual == expected, f"calls (address, input, gas given): {frame.calls}"
