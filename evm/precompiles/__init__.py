"""The precompiled contracts: native functions at fixed addresses that a CALL runs instead of code.

Each precompile is a module with `gas(data) -> int`, which never raises (the interpreter charges
it before anything runs), and `run(data) -> bytes`, which raises `PrecompileFailure` for input the
precompile rejects (the interpreter then burns all gas given to the call). `BERLIN_PRECOMPILES`
maps each 20-byte address to its pair (0x01-0x09, unchanged until Cancun); a later fork builds
its map from the one before: `CANCUN_PRECOMPILES` adds the KZG point evaluation (EIP-4844) at
0x0a, `PRAGUE_PRECOMPILES` adds the BLS12-381 operations (EIP-2537) at 0x0b-0x11, and
`OSAKA_PRECOMPILES` bounds and reprices MODEXP (EIP-7823, EIP-7883) and adds P256VERIFY
(EIP-7951) at 0x100.

The alt_bn128, RIPEMD-160 and P-256 modules are imported on their first call (`_on_first_call`):
their libraries (py_ecc, pycryptodome, cryptography) took 90 ms of the 0.7 s a dev node needed
to answer its first request, and most programs never call them.
"""

from collections.abc import Callable
from importlib import import_module
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
    ecrecover,
    identity,
    modexp,
    modexp_osaka,
    point_evaluation,
    sha256,
)


class Precompile(NamedTuple):
    """A precompile's price and body (see the module docstring for their contract)."""

    gas: Callable[[bytes], int]
    run: Callable[[bytes], bytes]


def _on_first_call(name: str) -> Precompile:
    """The precompile of module `evm.precompiles.<name>`, imported when first priced."""
    module_name = f"evm.precompiles.{name}"

    def gas(data: bytes) -> int:
        return int(import_module(module_name).gas(data))

    def run(data: bytes) -> bytes:
        return bytes(import_module(module_name).run(data))

    return Precompile(gas, run)


def address(number: int) -> bytes:
    """The 20-byte address 0x00..0<number> of a precompile."""
    return number.to_bytes(20, "big")


BERLIN_PRECOMPILES: Final[dict[bytes, Precompile]] = {
    address(0x01): Precompile(ecrecover.gas, ecrecover.run),
    address(0x02): Precompile(sha256.gas, sha256.run),
    address(0x03): _on_first_call("ripemd160"),
    address(0x04): Precompile(identity.gas, identity.run),
    address(0x05): Precompile(modexp.gas, modexp.run),
    address(0x06): _on_first_call("ecadd"),
    address(0x07): _on_first_call("ecmul"),
    address(0x08): _on_first_call("ecpairing"),
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
    address(0x100): _on_first_call("p256verify"),
}
