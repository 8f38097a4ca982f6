"""Intrinsic gas: what a transaction pays before its first instruction runs. The one price that
moved between the forks pyeth runs, a creation's initcode words (EIP-3860, Shanghai), is a
parameter with Shanghai's value as its default."""

from collections.abc import Sequence

from evm.gas import (
    GAS_AUTH_PER_EMPTY_ACCOUNT,
    GAS_INITCODE_WORD,
    TX_ACCESS_LIST_ADDRESS,
    TX_ACCESS_LIST_STORAGE_KEY,
    TX_BASE,
    TX_CREATE,
    TX_DATA_NON_ZERO,
    TX_DATA_ZERO,
    TX_FLOOR_PER_TOKEN,
    TX_TOKENS_PER_NON_ZERO_BYTE,
)
from pyeth.transactions.model import SetCodeTransaction, Transaction


def intrinsic_gas(
    data: bytes,
    is_create: bool,
    access_list: Sequence[tuple[bytes, Sequence[int]]],
    initcode_word_gas: int = GAS_INITCODE_WORD,
) -> int:
    """The base cost, calldata (EIP-2028), creation with its initcode words (EIP-3860; the
    fork's `initcode_word_gas`, 0 before Shanghai) and the access list (EIP-2930). A plain
    function of these so that the EVM's state transition and the transaction checks price a
    transaction the same way."""
    zeros = data.count(0)
    gas = TX_BASE + zeros * TX_DATA_ZERO + (len(data) - zeros) * TX_DATA_NON_ZERO
    if is_create:
        gas += TX_CREATE + initcode_word_gas * ((len(data) + 31) // 32)
    for _address, keys in access_list:
        gas += TX_ACCESS_LIST_ADDRESS + len(keys) * TX_ACCESS_LIST_STORAGE_KEY
    return gas


def transaction_intrinsic_gas(tx: Transaction, initcode_word_gas: int = GAS_INITCODE_WORD) -> int:
    """`intrinsic_gas` of a transaction's own data, target and access list, plus 25,000 per
    EIP-7702 authorization of a set-code transaction."""
    gas = intrinsic_gas(tx.data, tx.to is None, tx.access_list, initcode_word_gas)
    if isinstance(tx, SetCodeTransaction):
        gas += GAS_AUTH_PER_EMPTY_ACCOUNT * len(tx.authorization_list)
    return gas


def calldata_floor_gas(data: bytes) -> int:
    """EIP-7623 (Prague): the least gas a transaction pays, 21,000 plus 10 per calldata token
    (a zero byte is one token, any other byte four)."""
    zeros = data.count(0)
    tokens = zeros + (len(data) - zeros) * TX_TOKENS_PER_NON_ZERO_BYTE
    return TX_BASE + TX_FLOOR_PER_TOKEN * tokens
