"""Block and blob context: BLOCKHASH, COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, CHAINID,
BASEFEE, BLOBHASH, BLOBBASEFEE."""

from evm.frame import Frame

BLOCKHASH_WINDOW = 256


def blockhash(frame: Frame) -> None:
    """BLOCKHASH: n -> hash of block n if it is one of the 256 before this one, else 0."""
    number = frame.stack.pop()
    block = frame.context.block
    hashes = block.block_hashes
    oldest_known = block.number - len(hashes)
    if block.number - BLOCKHASH_WINDOW <= number < block.number and number >= oldest_known:
        frame.stack.append(int.from_bytes(hashes[number - oldest_known], "big"))
    else:
        frame.stack.append(0)


def coinbase(frame: Frame) -> None:
    """COINBASE: the block's beneficiary."""
    frame.stack.append(int.from_bytes(frame.context.block.coinbase, "big"))


def timestamp(frame: Frame) -> None:
    """TIMESTAMP: the block's timestamp."""
    frame.stack.append(frame.context.block.timestamp)


def number(frame: Frame) -> None:
    """NUMBER: the block's number."""
    frame.stack.append(frame.context.block.number)


def prevrandao(frame: Frame) -> None:
    """PREVRANDAO: the beacon chain randomness (EIP-4399, from Paris; DIFFICULTY before)."""
    frame.stack.append(int.from_bytes(frame.context.block.prev_randao, "big"))


def difficulty(frame: Frame) -> None:
    """DIFFICULTY: the block's proof-of-work difficulty (0x44 before Paris)."""
    frame.stack.append(frame.context.block.difficulty)


def gaslimit(frame: Frame) -> None:
    """GASLIMIT: the block's gas limit."""
    frame.stack.append(frame.context.block.gas_limit)


def chainid(frame: Frame) -> None:
    """CHAINID: the chain id (EIP-1344)."""
    frame.stack.append(frame.context.block.chain_id)


def basefee(frame: Frame) -> None:
    """BASEFEE: the block's base fee per gas (EIP-3198)."""
    frame.stack.append(frame.context.block.base_fee)


def blobhash(frame: Frame) -> None:
    """BLOBHASH: i -> the transaction's i-th blob versioned hash, or 0 (EIP-4844)."""
    index = frame.stack.pop()
    hashes = frame.context.tx.blob_hashes
    frame.stack.append(int.from_bytes(hashes[index], "big") if index < len(hashes) else 0)


def blobbasefee(frame: Frame) -> None:
    """BLOBBASEFEE: the block's blob base fee (EIP-7516)."""
    frame.stack.append(frame.context.block.blob_base_fee)
