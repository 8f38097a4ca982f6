"""Fee-market arithmetic: the EIP-4844 blob base fee from the excess blob gas."""

from evm.gas import BLOB_BASE_FEE_UPDATE_FRACTION, GAS_PER_BLOB, MIN_BLOB_BASE_FEE


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """factor * e ** (numerator / denominator) in integers, as EIP-4844 specifies it."""
    i = 1
    output = 0
    accumulator = factor * denominator
    while accumulator > 0:
        output += accumulator
        accumulator = (accumulator * numerator) // (denominator * i)
        i += 1
    return output // denominator


def blob_base_fee(
    excess_blob_gas: int, update_fraction: int = BLOB_BASE_FEE_UPDATE_FRACTION
) -> int:
    """The price of one unit of blob gas in a block with this excess blob gas."""
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, update_fraction)


def blob_gas(blob_count: int) -> int:
    """Blob gas used by `blob_count` blobs."""
    return GAS_PER_BLOB * blob_count
