"""Storage: SLOAD, SSTORE (EIP-2200 metering with EIP-2929 access costs, and EIP-3529 refunds
from London),
and transient storage TLOAD, TSTORE (EIP-1153)."""

from evm.errors import OutOfGas, StaticWrite
from evm.frame import Frame
from evm.gas import (
    GAS_COLD_SLOAD,
    GAS_SSTORE_RESET,
    GAS_SSTORE_SET,
    GAS_SSTORE_STIPEND,
    GAS_WARM_ACCESS,
)
from evm.instructions.common import charge


def sload(frame: Frame) -> None:
    """SLOAD: key -> the slot's value; 2100 gas cold, 100 warm."""
    key = frame.stack.pop()
    state = frame.context.state
    target = frame.message.target
    charge(frame, GAS_WARM_ACCESS if state.warm_slot(target, key) else GAS_COLD_SLOAD)
    frame.stack.append(state.get_storage(target, key))


def sstore(frame: Frame) -> None:
    """SSTORE: (key, value): write a slot, priced by how it compares with its original value."""
    # STACK
    stack = frame.stack
    key = stack.pop()
    new = stack.pop()
    # GAS
    if frame.gas_left <= GAS_SSTORE_STIPEND:
        raise OutOfGas
    if frame.message.is_static:
        raise StaticWrite
    state = frame.context.state
    target = frame.message.target
    cost = 0 if state.warm_slot(target, key) else GAS_COLD_SLOAD
    original = state.get_original_storage(target, key)
    current = state.get_storage(target, key)
    if original == current and current != new:
        cost += GAS_SSTORE_SET if original == 0 else GAS_SSTORE_RESET
    else:
        cost += GAS_WARM_ACCESS
    charge(frame, cost)
    # REFUND (the clearing refund is the fork's: 15,000 before London, 4,800 after)
    if current != new:
        if original and current and not new:
            frame.refund += frame.context.rules.sstore_clears_refund
        if original and not current:
            frame.refund -= frame.context.rules.sstore_clears_refund
        if original == new:
            if original == 0:
                frame.refund += GAS_SSTORE_SET - GAS_WARM_ACCESS
            else:
                frame.refund += GAS_SSTORE_RESET - GAS_WARM_ACCESS
    # OPERATION
    state.set_storage(target, key, new)


def tload(frame: Frame) -> None:
    """TLOAD: key -> the transient slot's value."""
    stack = frame.stack
    stack.append(frame.context.state.get_transient(frame.message.target, stack.pop()))


def tstore(frame: Frame) -> None:
    """TSTORE: (key, value): write a transient slot (cleared at the end of the transaction)."""
    if frame.message.is_static:
        raise StaticWrite
    stack = frame.stack
    key = stack.pop()
    frame.context.state.set_transient(frame.message.target, key, stack.pop())
