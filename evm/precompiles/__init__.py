"""The precompiled contracts: native functions at fixed addresses that a CALL runs instead of code.

Each precompile is a module with `gas(data) -> int`, which never raises (the interpreter charges
it before anything runs), and `run(data) -> bytes`, which raises `PrecompileFailure` for input the
precompile rejects (the interpreter then burns all gas given to the call). `BERLIN_PRECOMPILES`
maps each 20-byte address to its pair (0x01-0x09, unchanged until Cancun); a later fork builds
its map from the one before: `CANCUN_PRECOMPILES` adds the KZG point evaluation (EIP-4844) at
0x0a, `PRAGUE_PRECOMPILES` adds the BLS12-381 operations (EIP-2537) at 0x0b-0x11, and
`OSAKA_PRECOMPILES` bounds and reprices MODEXP (EIP-7823, EIP-7883) and adds P256VERIFY
(EIP-7951) at 0x100.
"""

from collections.abc import Callable
from typing import Final, NamedTuple

from evm.precompiles import (
    blake2f,
    bls12_g1add,
    bls12_g1msm,
    bls12_g2add,
    bls12_g2msm,
    bls12_map_fp2_to_g2,
    bls12_map_fp_to_g1,
    bls12_pairing,
    ecadd,
    ecmul,
    ecpairing,
    ecrecover,
    identity,
    modexp,
    modexp_osaka,
    p256verify,
    point_evaluation,
    ripemd160,
    sha256,
)


class Precompile(NamedTuple):
    """A precompile's price and body (see the module docstring for their contract)."""

    gas: Callable[[bytes], int]
    run: Callable[[bytes], bytes]


def address(number: int) -> bytes:
    """The 20-byte address 0x00..0<number> of a precompile."""
    return number.to_bytes(20, "big")


BERLIN_PRECOMPILES: Final[dict[bytes, Precompile]] = {
    address(0x01): Precompile(ecrecover.gas, ecrecover.run),
    address(0x02): Precompile(sha256.gas, sha256.run),
    address(0x03): Precompile(ripemd160.gas, ripemd160.run),
    address(0x04): Precompile(identity.gas, identity.run),
    address(0x05): Precompile(modexp.gas, modexp.run),
    address(0x06): Precompile(ecadd.gas, ecadd.run),
    address(0x07): Precompile(ecmul.gas, ecmul.run),
    address(0x08): Precompile(ecpairing.gas, ecpairing.run),
    address(0x09): Precompile(blake2f.gas, blake2f.run),
}

CANCUN_PRECOMPILES: Final[dict[bytes, Precompile]] = {
    **BERLIN_PRECOMPILES,
    address(0x0A): Precompile(point_evaluation.gas, point_evaluation.run),
}

PRAGUE_PRECOMPILES: Final[dict[bytes, Precompile]] = {
    **CANCUN_PRECOMPILES,
    address(0x0B): Precompile(bls12_g1add.gas, bls12_g1add.run),
    address(0x0C): Precompile(bls12_g1msm.gas, bls12_g1msm.run),
    address(0x0D): Precompile(bls12_g2add.gas, bls12_g2add.run),
    address(0x0E): Precompile(bls12_g2msm.gas, bls12_g2msm.run),
    address(0x0F): Precompile(bls12_pairing.gas, bls12_pairing.run),
    address(0x10): Precompile(bls12_map_fp_to_g1.gas, bls12_map_fp_to_g1.run),
    address(0x11): Precompile(bls12_map_fp2_to_g2.gas, bls12_map_fp2_to_g2.run),
}

OSAKA_PRECOMPILES: Final[dict[bytes, Precompile]] = {
    **PRAGUE_PRECOMPILES,
    address(0x05): Precompile(modexp_osaka.gas, modexp_osaka.run),
    address(0x100): Precompile(p256verify.gas, p256verify.run),
}
