"""The opcode table: one row of facts per opcode (byte, mnemonic, handler, stack items popped and
pushed, static gas). This is the single source of truth; `evm.forks` turns it into the 256-slot
lists the interpreter indexes by opcode byte."""

from collections.abc import Callable
from dataclasses import dataclass

from evm.frame import STACK_LIMIT, Frame
from evm.gas import (
    GAS_BASE,
    GAS_BLOBHASH,
    GAS_BLOCKHASH,
    GAS_CREATE,
    GAS_EXP,
    GAS_HIGH,
    GAS_JUMPDEST,
    GAS_KECCAK256,
    GAS_LOG,
    GAS_LOG_TOPIC,
    GAS_LOW,
    GAS_MID,
    GAS_SELFDESTRUCT,
    GAS_TLOAD,
    GAS_TSTORE,
    GAS_VERY_LOW,
    GAS_ZERO,
)
from evm.instructions import (
    arithmetic,
    bitwise,
    block,
    comparison,
    environment,
    flow,
    keccak,
    log,
    memory,
    stack,
    storage,
    system,
)

__all__ = ["CANCUN_OPS", "DIFFICULTY", "STACK_LIMIT", "Handler", "Op"]

Handler = Callable[[Frame], None]
"""An opcode's implementation: it works on the frame (stack, memory, gas, state) in place."""


@dataclass(frozen=True, slots=True)
class Op:
    """One opcode's facts."""

    code: int
    name: str
    handler: Handler
    pops: int
    pushes: int
    gas: int
    immediate: int = 0  # bytes of immediate data after the opcode (PUSHn)


# Account-reading and call opcodes have static gas 0 here: their warm (100) or cold (2600) access
# cost is charged by the handler, which knows whether the account is warm (EIP-2929).
CANCUN_OPS: tuple[Op, ...] = (
    Op(0x00, "STOP", flow.stop, 0, 0, GAS_ZERO),
    Op(0x01, "ADD", arithmetic.add, 2, 1, GAS_VERY_LOW),
    Op(0x02, "MUL", arithmetic.mul, 2, 1, GAS_LOW),
    Op(0x03, "SUB", arithmetic.sub, 2, 1, GAS_VERY_LOW),
    Op(0x04, "DIV", arithmetic.div, 2, 1, GAS_LOW),
    Op(0x05, "SDIV", arithmetic.sdiv, 2, 1, GAS_LOW),
    Op(0x06, "MOD", arithmetic.mod, 2, 1, GAS_LOW),
    Op(0x07, "SMOD", arithmetic.smod, 2, 1, GAS_LOW),
    Op(0x08, "ADDMOD", arithmetic.addmod, 3, 1, GAS_MID),
    Op(0x09, "MULMOD", arithmetic.mulmod, 3, 1, GAS_MID),
    Op(0x0A, "EXP", arithmetic.exp, 2, 1, GAS_EXP),
    Op(0x0B, "SIGNEXTEND", arithmetic.signextend, 2, 1, GAS_LOW),
    Op(0x10, "LT", comparison.lt, 2, 1, GAS_VERY_LOW),
    Op(0x11, "GT", comparison.gt, 2, 1, GAS_VERY_LOW),
    Op(0x12, "SLT", comparison.slt, 2, 1, GAS_VERY_LOW),
    Op(0x13, "SGT", comparison.sgt, 2, 1, GAS_VERY_LOW),
    Op(0x14, "EQ", comparison.eq, 2, 1, GAS_VERY_LOW),
    Op(0x15, "ISZERO", comparison.iszero, 1, 1, GAS_VERY_LOW),
    Op(0x16, "AND", bitwise.and_, 2, 1, GAS_VERY_LOW),
    Op(0x17, "OR", bitwise.or_, 2, 1, GAS_VERY_LOW),
    Op(0x18, "XOR", bitwise.xor, 2, 1, GAS_VERY_LOW),
    Op(0x19, "NOT", bitwise.not_, 1, 1, GAS_VERY_LOW),
    Op(0x1A, "BYTE", bitwise.byte, 2, 1, GAS_VERY_LOW),
    Op(0x1B, "SHL", bitwise.shl, 2, 1, GAS_VERY_LOW),
    Op(0x1C, "SHR", bitwise.shr, 2, 1, GAS_VERY_LOW),
    Op(0x1D, "SAR", bitwise.sar, 2, 1, GAS_VERY_LOW),
    Op(0x20, "KECCAK256", keccak.keccak256, 2, 1, GAS_KECCAK256),
    Op(0x30, "ADDRESS", environment.address, 0, 1, GAS_BASE),
    Op(0x31, "BALANCE", environment.balance, 1, 1, GAS_ZERO),
    Op(0x32, "ORIGIN", environment.origin, 0, 1, GAS_BASE),
    Op(0x33, "CALLER", environment.caller, 0, 1, GAS_BASE),
    Op(0x34, "CALLVALUE", environment.callvalue, 0, 1, GAS_BASE),
    Op(0x35, "CALLDATALOAD", environment.calldataload, 1, 1, GAS_VERY_LOW),
    Op(0x36, "CALLDATASIZE", environment.calldatasize, 0, 1, GAS_BASE),
    Op(0x37, "CALLDATACOPY", environment.calldatacopy, 3, 0, GAS_VERY_LOW),
    Op(0x38, "CODESIZE", environment.codesize, 0, 1, GAS_BASE),
    Op(0x39, "CODECOPY", environment.codecopy, 3, 0, GAS_VERY_LOW),
    Op(0x3A, "GASPRICE", environment.gasprice, 0, 1, GAS_BASE),
    Op(0x3B, "EXTCODESIZE", environment.extcodesize, 1, 1, GAS_ZERO),
    Op(0x3C, "EXTCODECOPY", environment.extcodecopy, 4, 0, GAS_ZERO),
    Op(0x3D, "RETURNDATASIZE", environment.returndatasize, 0, 1, GAS_BASE),
    Op(0x3E, "RETURNDATACOPY", environment.returndatacopy, 3, 0, GAS_VERY_LOW),
    Op(0x3F, "EXTCODEHASH", environment.extcodehash, 1, 1, GAS_ZERO),
    Op(0x40, "BLOCKHASH", block.blockhash, 1, 1, GAS_BLOCKHASH),
    Op(0x41, "COINBASE", block.coinbase, 0, 1, GAS_BASE),
    Op(0x42, "TIMESTAMP", block.timestamp, 0, 1, GAS_BASE),
    Op(0x43, "NUMBER", block.number, 0, 1, GAS_BASE),
    Op(0x44, "PREVRANDAO", block.prevrandao, 0, 1, GAS_BASE),
    Op(0x45, "GASLIMIT", block.gaslimit, 0, 1, GAS_BASE),
    Op(0x46, "CHAINID", block.chainid, 0, 1, GAS_BASE),
    Op(0x47, "SELFBALANCE", environment.selfbalance, 0, 1, GAS_LOW),
    Op(0x48, "BASEFEE", block.basefee, 0, 1, GAS_BASE),
    Op(0x49, "BLOBHASH", block.blobhash, 1, 1, GAS_BLOBHASH),
    Op(0x4A, "BLOBBASEFEE", block.blobbasefee, 0, 1, GAS_BASE),
    Op(0x50, "POP", stack.pop, 1, 0, GAS_BASE),
    Op(0x51, "MLOAD", memory.mload, 1, 1, GAS_VERY_LOW),
    Op(0x52, "MSTORE", memory.mstore, 2, 0, GAS_VERY_LOW),
    Op(0x53, "MSTORE8", memory.mstore8, 2, 0, GAS_VERY_LOW),
    Op(0x54, "SLOAD", storage.sload, 1, 1, GAS_ZERO),
    Op(0x55, "SSTORE", storage.sstore, 2, 0, GAS_ZERO),
    Op(0x56, "JUMP", flow.jump, 1, 0, GAS_MID),
    Op(0x57, "JUMPI", flow.jumpi, 2, 0, GAS_HIGH),
    Op(0x58, "PC", flow.pc, 0, 1, GAS_BASE),
    Op(0x59, "MSIZE", memory.msize, 0, 1, GAS_BASE),
    Op(0x5A, "GAS", flow.gas, 0, 1, GAS_BASE),
    Op(0x5B, "JUMPDEST", flow.jumpdest, 0, 0, GAS_JUMPDEST),
    Op(0x5C, "TLOAD", storage.tload, 1, 1, GAS_TLOAD),
    Op(0x5D, "TSTORE", storage.tstore, 2, 0, GAS_TSTORE),
    Op(0x5E, "MCOPY", memory.mcopy, 3, 0, GAS_VERY_LOW),
    Op(0x5F, "PUSH0", stack.push0, 0, 1, GAS_BASE),
    *(
        Op(0x60 + i, f"PUSH{i + 1}", stack.make_push(i + 1), 0, 1, GAS_VERY_LOW, i + 1)
        for i in range(32)
    ),
    *(
        Op(0x80 + i, f"DUP{i + 1}", stack.make_dup(i + 1), i + 1, i + 2, GAS_VERY_LOW)
        for i in range(16)
    ),
    *(
        Op(0x90 + i, f"SWAP{i + 1}", stack.make_swap(i + 1), i + 2, i + 2, GAS_VERY_LOW)
        for i in range(16)
    ),
    *(
        Op(0xA0 + n, f"LOG{n}", log.make_log(n), n + 2, 0, GAS_LOG + n * GAS_LOG_TOPIC)
        for n in range(5)
    ),
    Op(0xF0, "CREATE", system.create, 3, 1, GAS_CREATE),
    Op(0xF1, "CALL", system.call, 7, 1, GAS_ZERO),
    Op(0xF2, "CALLCODE", system.callcode, 7, 1, GAS_ZERO),
    Op(0xF3, "RETURN", system.return_, 2, 0, GAS_ZERO),
    Op(0xF4, "DELEGATECALL", system.delegatecall, 6, 1, GAS_ZERO),
    Op(0xF5, "CREATE2", system.create2, 4, 1, GAS_CREATE),
    Op(0xFA, "STATICCALL", system.staticcall, 6, 1, GAS_ZERO),
    Op(0xFD, "REVERT", system.revert, 2, 0, GAS_ZERO),
    Op(0xFE, "INVALID", system.invalid, 0, 0, GAS_ZERO),
    Op(0xFF, "SELFDESTRUCT", system.selfdestruct, 1, 0, GAS_SELFDESTRUCT),
)

# 0x44 before Paris: the proof-of-work difficulty, which PREVRANDAO replaced (EIP-4399).
DIFFICULTY = Op(0x44, "DIFFICULTY", block.difficulty, 0, 1, GAS_BASE)
