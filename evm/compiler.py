"""Basic-block compilation: the fast path of the interpreter.

A block (straight-line code from a jump target or the instruction after a branch, up to the next
control transfer; it runs on through JUMPDESTs, which only cost gas) is translated into one Python
function. The function charges the whole block's static gas and checks its stack bounds once,
keeps stack items in local variables where it can, inlines the simple opcodes as Python
expressions, and calls the table's handler for everything else. It returns the pc to continue at.

Why this is exact. Charging a block's static gas up front only differs from per-instruction
charging when the block runs out of gas part-way, and then both burn all gas and revert the
frame. Likewise for stack bounds. What could observe the difference is an instruction that reads
the gas left (GAS, SSTORE's stipend check, the CALL and CREATE families' 63/64 rule), so those end
their block: when they run, exactly the gas of the instructions before them has been charged.

The table loop in `evm.interpreter` stays the reference semantics; `evm.interpreter.run_blocks`
interprets a block with it until the block has run a few hundred instructions, and compiles it
then, so code that runs once or twice pays no compilation. tests/unit/evm/test_evm_compiler.py
runs both paths on the same code.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evm.errors import InvalidJump, OutOfGas, StackOverflow, StackUnderflow
from evm.frame import STACK_LIMIT, Frame
from evm.gas import GAS_COLD_SLOAD, GAS_KECCAK256_WORD, GAS_WARM_ACCESS
from evm.hashing import keccak256
from evm.instructions import (
    arithmetic,
    bitwise,
    comparison,
    environment,
    flow,
    keccak,
    memory,
    stack,
    storage,
)
from evm.instructions.common import UINT256_MAX, expand_memory, read_padded, to_signed
from evm.instructions.flow import Stop

if TYPE_CHECKING:
    from evm.forks import ForkRules

Block = Callable[[Frame, list[int]], int]

MAX_BLOCK_INSTRUCTIONS = 256

# Opcodes after which a block ends: control transfers, halts, and the instructions that read the
# gas left (see the module docstring).
ENDS_BLOCK = frozenset(
    {
        0x00,  # STOP
        0x56,  # JUMP
        0x57,  # JUMPI
        0x5A,  # GAS
        0x55,  # SSTORE
        0xF0,  # CREATE
        0xF1,  # CALL
        0xF2,  # CALLCODE
        0xF3,  # RETURN
        0xF4,  # DELEGATECALL
        0xF5,  # CREATE2
        0xFA,  # STATICCALL
        0xFD,  # REVERT
        0xFE,  # INVALID
        0xFF,  # SELFDESTRUCT
    }
)

# Opcodes whose handler is a pure function of two words: the expression computing the result.
_BINARY: dict[Callable[[Frame], None], str] = {
    arithmetic.add: "({a} + {b}) & M",
    arithmetic.mul: "({a} * {b}) & M",
    arithmetic.sub: "({a} - {b}) & M",
    arithmetic.div: "{a} // {b} if {b} else 0",
    arithmetic.mod: "{a} % {b} if {b} else 0",
    comparison.lt: "1 if {a} < {b} else 0",
    comparison.gt: "1 if {a} > {b} else 0",
    comparison.slt: "1 if S({a}) < S({b}) else 0",
    comparison.sgt: "1 if S({a}) > S({b}) else 0",
    comparison.eq: "1 if {a} == {b} else 0",
    bitwise.and_: "{a} & {b}",
    bitwise.or_: "{a} | {b}",
    bitwise.xor: "{a} ^ {b}",
    bitwise.byte: "({b} >> (248 - {a} * 8)) & 255 if {a} < 32 else 0",
    bitwise.shl: "({b} << {a}) & M if {a} < 256 else 0",
    bitwise.shr: "{b} >> {a} if {a} < 256 else 0",
    bitwise.sar: "(S({b}) >> ({a} if {a} < 256 else 256)) & M",
    arithmetic.sdiv: "SDIV({a}, {b})",
    arithmetic.smod: "SMOD({a}, {b})",
    arithmetic.signextend: "SIGNEXTEND({a}, {b})",
}
_TERNARY: dict[Callable[[Frame], None], str] = {
    arithmetic.addmod: "({a} + {b}) % {c} if {c} else 0",
    arithmetic.mulmod: "({a} * {b}) % {c} if {c} else 0",
}
# Opcodes that read the message or memory size: the expression that pushes their value.
_NULLARY: dict[Callable[[Frame], None], str] = {
    environment.address: "int.from_bytes(frame.message.target, 'big')",
    environment.caller: "int.from_bytes(frame.message.caller, 'big')",
    environment.callvalue: "frame.message.value",
    environment.calldatasize: "len(frame.message.data)",
    memory.msize: "len(mem)",
}
_UNARY: dict[Callable[[Frame], None], str] = {
    comparison.iszero: "0 if {a} else 1",
    bitwise.not_: "M ^ {a}",
    bitwise.clz: "256 - ({a}).bit_length()",
}


_USES_MEMORY = (memory.mload, memory.mstore, memory.mstore8, memory.msize, keccak.keccak256)

# The names the pure expressions above use, for folding them when their operands are literals.
_FOLD_NAMESPACE: dict[str, Any] = {
    "M": UINT256_MAX,
    "S": to_signed,
    "SDIV": arithmetic.signed_div,
    "SMOD": arithmetic.signed_mod,
    "SIGNEXTEND": arithmetic.sign_extend,
}


class _Emitter:
    """Builds one block's source, tracking the stack symbolically.

    `virtual` holds the block's pushed items as Python names or literals, above the real stack;
    items are written to the real list `s` only before a handler call and at the block's end.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.virtual: list[str] = []
        self.temps = 0

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def temp(self, expression: str) -> str:
        name = f"t{self.temps}"
        self.temps += 1
        self.emit(f"{name} = {expression}")
        return name

    def compute(self, expression: str, *operands: str) -> None:
        """Push the value of a pure `expression` of `operands`: folded to a literal at compile
        time when every operand is one (solc's `(1 << 160) - 1` masks), else into a temporary."""
        if all(operand.isdigit() for operand in operands):
            self.virtual.append(str(eval(expression, _FOLD_NAMESPACE)))
        else:
            self.virtual.append(self.temp(expression))

    def pop(self) -> str:
        if self.virtual:
            return self.virtual.pop()
        return self.temp("s.pop()")

    def peek(self, depth: int) -> str:
        """The name of the depth-th item from the top (1 = top)."""
        if depth <= len(self.virtual):
            return self.virtual[-depth]
        return self.temp(f"s[{len(self.virtual) - depth}]")

    def lift(self, depth: int) -> None:
        """Pop real items into locals until the top `depth` items are all virtual."""
        while len(self.virtual) < depth:
            self.virtual.insert(0, self.temp("s.pop()"))

    def flush(self) -> None:
        if len(self.virtual) == 1:
            self.emit(f"s.append({self.virtual[0]})")
        elif self.virtual:
            self.emit(f"s.extend(({', '.join(self.virtual)}))")
        self.virtual.clear()


def _jump_check(destination: str, jumpdests: bytearray) -> str:
    """The line that halts a jump to a non-JUMPDEST. A literal destination (PUSH then JUMP) is
    checked here, once: the JUMPDEST map of the code never changes."""
    if not destination.isdigit():
        return f"if {destination} >= J or not JD[{destination}]: raise InvalidJump"
    target = int(destination)
    return "pass" if target < len(jumpdests) and jumpdests[target] else "raise InvalidJump"


def block_end(code: bytes, start: int, rules: "ForkRules") -> list[tuple[int, int]]:
    """The (pc, opcode) pairs of the block starting at `start`."""
    ops = rules.ops
    instructions = []
    pc = start
    while True:
        op = code[pc]
        instructions.append((pc, op))
        width = ops[op].immediate if op in ops else 0
        pc += 1 + width
        if op in ENDS_BLOCK or op not in ops or len(instructions) >= MAX_BLOCK_INSTRUCTIONS:
            break
    return instructions


def compile_block(
    code: bytes, jumpdests: bytearray, push_values: list[int], start: int, rules: "ForkRules"
) -> Block:
    """Translate the block at `start` into a Python function `(frame, s) -> next pc`."""
    instructions = block_end(code, start, rules)
    ops = rules.ops
    handlers = rules.handlers

    # Static gas and the stack bounds, from the same table the loop uses.
    static_gas = sum(rules.static_gas[op] for _, op in instructions)
    height = need = growth = 0
    for _, op in instructions:
        pops = rules.min_stack[op]
        pushes = ops[op].pushes if op in ops else 0
        need = max(need, pops - height)
        height += pushes - pops
        growth = max(growth, height)

    out = _Emitter()
    out.emit(f"g = frame.gas_left - {static_gas}")
    out.emit("if g < 0: raise OutOfGas")
    out.emit("frame.gas_left = g")
    out.emit("n = len(s)")
    if need:
        out.emit(f"if n < {need}: raise StackUnderflow")
    out.emit(f"if n > {STACK_LIMIT - growth}: raise StackOverflow")
    if any(handlers[op] in _USES_MEMORY for _, op in instructions):
        out.emit("mem = frame.memory")  # grown in place by expand_memory, so safe to bind

    next_pc = start
    finished = False
    for pc, op in instructions:
        spec = ops.get(op)
        handler = handlers[op]
        next_pc = pc + 1 + (spec.immediate if spec else 0)
        if handler is stack.push0:
            out.virtual.append("0")
        elif spec is not None and spec.immediate:
            out.virtual.append(str(push_values[pc]))
        elif spec is not None and spec.name.startswith("DUP"):
            out.virtual.append(out.peek(int(spec.name[3:])))
        elif spec is not None and spec.name.startswith("SWAP"):
            depth = int(spec.name[4:]) + 1
            if depth - len(out.virtual) <= 2:
                out.lift(depth)
                v = out.virtual
                v[-1], v[-depth] = v[-depth], v[-1]
            else:
                out.flush()
                out.emit(f"s[-1], s[{-depth}] = s[{-depth}], s[-1]")
        elif handler is stack.pop:
            if out.virtual:
                out.virtual.pop()
            else:
                out.emit("s.pop()")
        elif handler in _BINARY:
            a = out.pop()
            b = out.pop()
            out.compute(_BINARY[handler].format(a=a, b=b), a, b)
        elif handler in _UNARY:
            a = out.pop()
            out.compute(_UNARY[handler].format(a=a), a)
        elif handler in _TERNARY:
            a = out.pop()
            b = out.pop()
            c = out.pop()
            out.compute(_TERNARY[handler].format(a=a, b=b, c=c), a, b, c)
        elif handler in _NULLARY:
            out.virtual.append(out.temp(_NULLARY[handler]))
        elif handler is environment.calldataload:
            offset = out.pop()
            out.virtual.append(
                out.temp(f"int.from_bytes(READ(frame.message.data, {offset}, 32), 'big')")
            )
        elif handler is flow.jumpdest:
            pass
        elif handler is flow.pc:
            out.virtual.append(str(pc))
        elif handler is keccak.keccak256:
            offset = out.pop()
            size = out.pop()
            # As the handler: the word price, then memory growth (a size of 0 grows nothing).
            out.emit(f"g = frame.gas_left - {GAS_KECCAK256_WORD} * (({size} + 31) >> 5)")
            out.emit("if g < 0: raise OutOfGas")
            out.emit("frame.gas_left = g")
            grow = f"expand_memory(frame, {offset}, {size})"
            out.emit(f"if {size} and {offset} + {size} > len(mem): {grow}")
            out.virtual.append(
                out.temp(f"int.from_bytes(KECCAK(mem[{offset}:{offset} + {size}]), 'big')")
            )
        elif handler is storage.sload:
            key = out.pop()
            # As the handler: warm the slot (journalled), charge for it, then read it.
            out.emit("state = frame.context.state")
            out.emit("target = frame.message.target")
            out.emit(
                f"g = frame.gas_left - ({GAS_WARM_ACCESS} if state.warm_slot(target, {key}) "
                f"else {GAS_COLD_SLOAD})"
            )
            out.emit("if g < 0: raise OutOfGas")
            out.emit("frame.gas_left = g")
            out.virtual.append(out.temp(f"state.get_storage(target, {key})"))
        elif handler is memory.mload:
            offset = out.pop()
            out.emit(f"if {offset} + 32 > len(mem): expand_memory(frame, {offset}, 32)")
            out.virtual.append(out.temp(f"int.from_bytes(mem[{offset}:{offset} + 32], 'big')"))
        elif handler is memory.mstore8:
            offset = out.pop()
            value = out.pop()
            out.emit(f"if {offset} + 1 > len(mem): expand_memory(frame, {offset}, 1)")
            out.emit(f"mem[{offset}] = {value} & 255")
        elif handler is memory.mstore:
            offset = out.pop()
            value = out.pop()
            out.emit(f"if {offset} + 32 > len(mem): expand_memory(frame, {offset}, 32)")
            out.emit(f"mem[{offset}:{offset} + 32] = ({value}).to_bytes(32, 'big')")
        elif handler is flow.jump:
            destination = out.pop()
            out.flush()
            out.emit(_jump_check(destination, jumpdests))
            out.emit(f"return {destination}")
            finished = True
        elif handler is flow.jumpi:
            destination = out.pop()
            condition = out.pop()
            out.flush()
            out.emit(f"if {condition}:")
            out.emit("    " + _jump_check(destination, jumpdests))
            out.emit(f"    return {destination}")
            out.emit(f"return {next_pc}")
            finished = True
        elif handler is flow.stop:
            out.emit("raise Stop")
            finished = True
        else:
            # Everything else runs its table handler on the real stack.
            out.flush()
            out.emit(f"H[{op}](frame)")
    if not finished:
        out.flush()
        out.emit(f"return {next_pc}")

    source = f"def block_{start}(frame, s):\n" + "\n".join(out.lines) + "\n"
    namespace: dict[str, Any] = {
        "M": UINT256_MAX,
        "S": to_signed,
        "SDIV": arithmetic.signed_div,
        "SMOD": arithmetic.signed_mod,
        "SIGNEXTEND": arithmetic.sign_extend,
        "READ": read_padded,
        "H": handlers,
        "JD": jumpdests,
        "J": len(jumpdests),
        "OutOfGas": OutOfGas,
        "StackOverflow": StackOverflow,
        "StackUnderflow": StackUnderflow,
        "InvalidJump": InvalidJump,
        "Stop": Stop,
        "expand_memory": expand_memory,
        "KECCAK": keccak256,
    }
    exec(compile(source, f"<evm block {start}>", "exec"), namespace)
    block: Block = namespace[f"block_{start}"]
    return block
