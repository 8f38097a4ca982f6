"""The node's typed errors: every piece of bad input is reported as one of these, with a message
that says what was wrong. Callers at the edge (RPC, p2p, CLI) catch `PyethError`."""


class PyethError(Exception):
    """Base of every error pyeth raises on purpose."""


class DecodingError(PyethError, ValueError):
    """Bytes or text that do not decode: bad hex, truncated or non-canonical RLP, wrong lengths."""


class InvalidSignature(PyethError):
    """A signature that is out of range or does not recover to a public key."""


class InvalidTransaction(PyethError):
    """A transaction that breaks a validity rule (static or against the state)."""


class InvalidBlock(PyethError):
    """A block that breaks a validity rule; the message names the rule."""
