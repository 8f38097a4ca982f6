"""Why an EVM frame stopped early.

`ExceptionalHalt` and its subclasses consume all the frame's gas and discard its state changes;
`Revert` discards the changes but returns the unused gas and the revert data. Nothing else may
escape the interpreter while it runs untrusted code.
"""


class EVMError(Exception):
    """Base of the errors the interpreter uses to stop a frame."""


class Revert(EVMError):
    """REVERT: undo the frame's changes, keep the gas left, return data to the caller."""


class ExceptionalHalt(EVMError):
    """A halt that burns all gas of the frame."""


class StackUnderflow(ExceptionalHalt):
    """An instruction needed more stack items than there were."""


class StackOverflow(ExceptionalHalt):
    """The stack would grow past 1024 items."""


class OutOfGas(ExceptionalHalt):
    """The frame ran out of gas."""


class InvalidOpcode(ExceptionalHalt):
    """An undefined opcode or INVALID (0xFE)."""


class InvalidJump(ExceptionalHalt):
    """JUMP or JUMPI to a position that is not a JUMPDEST."""


class StaticWrite(ExceptionalHalt):
    """A state-changing instruction inside a STATICCALL context."""


class ReturnDataOutOfBounds(ExceptionalHalt):
    """RETURNDATACOPY reading past the end of the return data buffer."""


class InvalidContract(ExceptionalHalt):
    """Deployed code that breaks a creation rule: too large, or starting with 0xEF."""


class PrecompileFailure(ExceptionalHalt):
    """A precompile rejected its input (it consumes all gas given to it)."""
