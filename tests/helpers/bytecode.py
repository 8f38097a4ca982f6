"""An opcode builder for tests, in the style of execution-spec-tests: write
`Op.SSTORE(1, Op.ADD(2, 3))` instead of hex.

`Op.ADD` is a one-byte fragment. Calling an opcode with arguments pushes them before it, last
argument first, so the first argument ends on top of the stack: `Op.SUB(10, 3)` computes 10 - 3.
An int argument becomes the smallest PUSH (PUSH0 for 0), a bytes argument a PUSH of its length,
and a fragment is inlined as it is. Fragments concatenate with `+` (also with bytes) and turn
into code with `bytes()`. PUSHn takes its immediate by index or call: `Op.PUSH2[0x1234]`; bare
`Op.PUSH2` is the opcode byte alone (a truncated push).

The names and immediate sizes come from `evm.opcodes.CANCUN_OPS`, so there is one table only.
Code that is not an opcode (0xEF, an unassigned byte) is written as `Bytecode(b"\\xef")`.
"""

from collections.abc import Iterable, Iterator

from evm.opcodes import CANCUN_OPS
from evm.opcodes import Op as OpRow

WORD_MAX = 2**256 - 1
PUSH0_BYTE = 0x5F
PUSH1_BYTE = 0x60


class Bytecode:
    """An immutable piece of EVM code."""

    __slots__ = ("_code",)

    def __init__(self, code: "bytes | bytearray | Bytecode" = b"") -> None:
        self._code = bytes(code)

    def __bytes__(self) -> bytes:
        return self._code

    def __len__(self) -> int:
        return len(self._code)

    def __add__(self, other: "Bytecode | bytes | bytearray") -> "Bytecode":
        if not isinstance(other, Bytecode | bytes | bytearray):
            return NotImplemented
        return Bytecode(self._code + bytes(other))

    def __radd__(self, other: "bytes | bytearray") -> "Bytecode":
        if not isinstance(other, bytes | bytearray):
            return NotImplemented
        return Bytecode(bytes(other) + self._code)

    def __mul__(self, count: int) -> "Bytecode":
        return Bytecode(self._code * count)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Bytecode | bytes | bytearray):
            return self._code == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._code)

    def hex(self) -> str:
        return self._code.hex()

    def __repr__(self) -> str:
        return f"Bytecode(0x{self._code.hex()})"


Argument = int | bytes | Bytecode


def push(value: Argument) -> Bytecode:
    """The code that pushes `value`: the smallest PUSHn for an int (PUSH0 for 0), PUSHn of the
    bytes' length for bytes, and a fragment unchanged (it is expected to push something)."""
    if isinstance(value, Bytecode):
        return value
    if isinstance(value, bytes | bytearray):
        if not 1 <= len(value) <= 32:
            raise ValueError(f"cannot push {len(value)} bytes; PUSH1..PUSH32 take 1 to 32")
        return Bytecode(bytes((PUSH1_BYTE + len(value) - 1,)) + bytes(value))
    if isinstance(value, int):
        if not 0 <= value <= WORD_MAX:
            raise ValueError(f"cannot push {value}: a stack word is an int in [0, 2**256)")
        if value == 0:
            return Bytecode(bytes((PUSH0_BYTE,)))
        width = (value.bit_length() + 7) // 8
        return Bytecode(bytes((PUSH1_BYTE + width - 1,)) + value.to_bytes(width, "big"))
    raise TypeError(f"cannot push a {type(value).__name__}")


class Opcode(Bytecode):
    """One opcode: a fragment of its own byte, callable to push its arguments first."""

    __slots__ = ("name", "byte", "immediate", "pops", "pushes")

    def __init__(self, row: OpRow) -> None:
        super().__init__(bytes((row.code,)))
        self.name = row.name
        self.byte = row.code
        self.immediate = row.immediate
        self.pops = row.pops
        self.pushes = row.pushes

    def __getitem__(self, data: int | bytes) -> Bytecode:
        """PUSHn's immediate: an int that fits in n bytes, or exactly n bytes."""
        if not self.immediate:
            raise TypeError(f"{self.name} takes no immediate data")
        if isinstance(data, int):
            if not 0 <= data < 1 << (8 * self.immediate):
                raise ValueError(
                    f"{data:#x} does not fit the {self.immediate} bytes of {self.name}"
                )
            data = data.to_bytes(self.immediate, "big")
        if len(data) != self.immediate:
            raise ValueError(f"{self.name} needs {self.immediate} bytes, got {len(data)}")
        return Bytecode(self._code + data)

    def __call__(self, *args: Argument) -> Bytecode:
        """Push `args` (the first ends on top) and then this opcode; for PUSHn, the immediate."""
        if self.immediate:
            if len(args) != 1 or isinstance(args[0], Bytecode):
                raise TypeError(f"{self.name} takes one immediate: {self.name}[value]")
            return self[args[0]]
        if len(args) > self.pops:
            raise TypeError(f"{self.name} takes at most {self.pops} stack arguments")
        code = b"".join(bytes(push(arg)) for arg in reversed(args))
        return Bytecode(code + self._code)

    def __repr__(self) -> str:
        return f"Op.{self.name}"


class _OpcodeNamespace:
    """`Op.<MNEMONIC>` for every opcode of the table."""

    def __init__(self, rows: Iterable[OpRow]) -> None:
        self._by_name = {row.name: Opcode(row) for row in rows}
        for name, opcode in self._by_name.items():
            setattr(self, name, opcode)

    def __getattr__(self, name: str) -> Opcode:
        # Only reached for names the table does not define.
        raise AttributeError(f"no opcode named {name!r} in evm.opcodes.CANCUN_OPS")

    def __iter__(self) -> Iterator[Opcode]:
        return iter(self._by_name.values())


Op = _OpcodeNamespace(CANCUN_OPS)


def code_of(*parts: Bytecode | bytes) -> bytes:
    """Concatenate fragments into code bytes."""
    return b"".join(bytes(part) for part in parts)


def mstore_bytes(offset: int, data: bytes) -> Bytecode:
    """Code that writes `data` to memory at `offset` with MSTOREs of 32-byte words (the last
    word is padded with zeros on the right, so memory after the data is zeroed up to it)."""
    code = Bytecode()
    for start in range(0, len(data), 32):
        word = data[start : start + 32].ljust(32, b"\x00")
        code += Op.MSTORE(offset + start, int.from_bytes(word, "big"))
    return code


def initcode(runtime: Bytecode | bytes) -> Bytecode:
    """Init code that deploys `runtime`: copy it from the end of the init code and return it."""
    runtime = bytes(runtime)
    size = len(runtime)
    # The prefix's length depends on the offset's PUSH width; every real offset fits a PUSH1
    # or PUSH2, so measure with a placeholder of the final width.
    for placeholder in (0xFF, 0xFFFF):
        prefix = Op.CODECOPY(0, placeholder, size) + Op.RETURN(0, size)
        if len(prefix) <= placeholder:
            offset = len(prefix)
            code = Op.CODECOPY(0, offset, size) + Op.RETURN(0, size)
            if len(code) == offset:
                return code + runtime
    raise ValueError("runtime code too large for this helper")


def return_word(value: Argument) -> Bytecode:
    """Code that writes `value` (pushed as by a call argument) to memory 0 and returns that word.
    Its cost beyond pushing `value`: PUSH0, MSTORE with one word of memory, PUSH1, PUSH0, RETURN
    = 2 + 3 + 3 + 3 + 2 + 0 = 13 gas."""
    return Op.MSTORE(0, value) + Op.RETURN(0, 32)


RETURN_WORD_GAS = 13


def push_gas(value: int) -> int:
    """Gas of pushing `value` with `push`: 2 for PUSH0, 3 for PUSHn."""
    return 2 if value == 0 else 3


def gas_of(fragment: Bytecode) -> Bytecode:
    """Code that runs `fragment` (which must leave the stack as it found it) between two GAS
    readings and leaves on the stack the gas the fragment cost (the second GAS's 2 removed)."""
    return Op.GAS + fragment + Op.GAS + Op.SWAP1 + Op.SUB + Op.PUSH1[2] + Op.SWAP1 + Op.SUB
