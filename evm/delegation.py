"""EIP-7702 delegation designators: an account whose code is `0xef0100 ++ address` runs the code
of `address` when called. Code-reading opcodes (EXTCODESIZE, EXTCODECOPY, EXTCODEHASH) see the
23-byte designator itself; calls and transactions follow it one level (never a chain)."""

DELEGATION_PREFIX = b"\xef\x01\x00"
DESIGNATOR_SIZE = len(DELEGATION_PREFIX) + 20


def delegated_address(code: bytes) -> bytes | None:
    """The address a designator points to, or None when `code` is not a designator."""
    if len(code) == DESIGNATOR_SIZE and code[:3] == DELEGATION_PREFIX:
        return code[3:]
    return None


def designator(address: bytes) -> bytes:
    """The code that delegates an account to `address`."""
    return DELEGATION_PREFIX + address
