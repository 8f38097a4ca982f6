"""P256VERIFY (0x100, Osaka): known signatures and EIP-7951's input rules.

The bulk of the vectors (Wycheproof's secp256r1 suite, the modular-comparison cases) run in
test_precompile_eest.py from the EEST fixtures; these are the rules one at a time.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evm.precompiles import p256verify
from evm.precompiles.p256verify import INVALID, VALID, N, P


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def encode(h: int, r: int, s: int, qx: int, qy: int) -> bytes:
    return b"".join(word(n) for n in (h, r, s, qx, qy))


# go-ethereum core/vm/testdata/precompiles/p256Verify.json, "CallP256Verify" (its "Gas" there is
# RIP-7212's 3450; Osaka's price is 6900).
GETH_VALID = bytes.fromhex(
    "4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4d"
    "a73bd4903f0ce3b639bbbf6e8e80d16931ff4bcf5993d58468e8fb19086e8cac"
    "36dbcd03009df8c59286b162af3bd7fcc0450c9aa81be5d10d312af6c66b1d60"
    "4aebd3099c618202fcfe16ae7770b0c49ab5eadf74b754204a3bb6060e44eff3"
    "7618b065f9832de4ca6ca971a7a1adc826d0f7c00181a5fb2ddf79ae00b4e10e"
)
# Wycheproof ecdsa_secp256r1_sha256_test.json tcId 1 (as quoted in EEST's EIP-7951 spec.py).
H0 = 0xBB5A52F42F9C9261ED4361F59422A1E30036E7C32B270C8807A419FECA605023
R0 = 0x2BA3A8BE6B94D5EC80A6D9D1190A436EFFE50D85A1EEE859B8CC6AF9BD5C2E18
S0 = 0x4CD60B855D442F5B3C7B11EB6C4E0AE7525FE710FAB9AA7C77A67F79E6FADD76
X0 = 0x2927B10512BAE3EDDCFE467828128BAD2903269919F7086069C8C4DF6C732838
Y0 = 0xC7787964EAAC00E5921FB1498A60F4606766B3D9685001558D1A974E7341513E
# Wycheproof ecdsa_webcrypto_test.json: k*G has a large x, giving a very small r, and s = n - 3.
H1 = 0x532EAABD9574880DBF76B9B8CC00832C20A6EC113D682299550D7A6E0F345E25
R1 = 0x000000000000000000000000000000004319055358E8617B0C46353D039CDAAB
S1 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63254E
X1 = 0xD705D16F80987E2D9B1A6957D29CE22FEBF7D10FA515153182415C8361BAACA4
Y1 = 0xB1FC105EE5CE80D514EC1238BEAE2037A6F83625593620D460819E8682160926
# The curve's generator, a point certainly on the curve.
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GETH_VALID, id="geth"),
        pytest.param(encode(H0, R0, S0, X0, Y0), id="wycheproof-1"),
        pytest.param(encode(H1, R1, S1, X1, Y1), id="wycheproof-small-r"),
        # ECDSA has no low-s rule here: (r, n - s) verifies whenever (r, s) does.
        pytest.param(encode(H0, R0, N - S0, X0, Y0), id="negated-s"),
    ],
)
def test_valid_signatures(data: bytes) -> None:
    assert p256verify.run(data) == VALID == word(1)
    assert p256verify.gas(data) == 6900


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(H0 ^ 1, R0, S0, X0, Y0), id="other-hash"),
        pytest.param(encode(H0, R0 ^ 1, S0, X0, Y0), id="other-r"),
        pytest.param(encode(H0, R0, S0 ^ 1, X0, Y0), id="other-s"),
        pytest.param(encode(H0, R0, S0, GX, GY), id="other-key"),
        pytest.param(encode(H0, 0, S0, X0, Y0), id="r-zero"),
        pytest.param(encode(H0, N, S0, X0, Y0), id="r-equal-n"),
        # R'.x is R1 + n here, so only the range check rejects r = R1 + n.
        pytest.param(encode(H1, R1 + N, S1, X1, Y1), id="r-plus-n-equal-to-x"),
        pytest.param(encode(H0, 2**256 - 1, S0, X0, Y0), id="r-max"),
        pytest.param(encode(H0, R0, 0, X0, Y0), id="s-zero"),
        pytest.param(encode(H0, R0, N, X0, Y0), id="s-equal-n"),
        pytest.param(encode(H0, R0, 2**256 - 1, X0, Y0), id="s-max"),
        pytest.param(encode(H0, R0, S0, X0, Y0 ^ 1), id="key-off-curve"),
        pytest.param(encode(H0, R0, S0, 0, 0), id="key-at-infinity-encoding"),
        pytest.param(encode(H0, R0, S0, P, Y0), id="qx-equal-p"),
        pytest.param(encode(H0, R0, S0, X0, P), id="qy-equal-p"),
        pytest.param(encode(H0, R0, S0, 2**256 - 1, 2**256 - 1), id="q-max"),
        pytest.param(encode(H0, R0, S0, X0, Y0)[:-1], id="159-bytes"),
        pytest.param(encode(H0, R0, S0, X0, Y0) + b"\x00", id="161-bytes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_invalid_input_gives_empty_output_not_failure(data: bytes) -> None:
    # Whatever is wrong, the call succeeds with no output and costs the flat price.
    assert p256verify.run(data) == INVALID == b""
    assert p256verify.gas(data) == 6900


def test_the_hash_is_used_as_given_not_hashed_again() -> None:
    # Only the 32-byte digest matters: the same signature over sha256(digest) is invalid.
    import hashlib

    rehashed = int.from_bytes(hashlib.sha256(word(H0)).digest())
    assert p256verify.run(encode(rehashed, R0, S0, X0, Y0)) == INVALID


@given(data=st.binary(max_size=200) | st.binary(min_size=160, max_size=160))
def test_arbitrary_input_never_fails(data: bytes) -> None:
    assert p256verify.run(data) in (VALID, INVALID)
    assert p256verify.gas(data) == 6900
