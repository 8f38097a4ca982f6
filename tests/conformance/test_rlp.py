"""Runs every case of ethereum/tests RLPTests against `pyeth.sedes.encode` / `decode`.

rlptest.json: `in` (text, an integer, "#<decimal>" for a big integer, or a nested list of
these) must encode to `out`, and `out` must decode back to it. invalidRLPTest.json: `out` must
not decode (DecodingError). RandomRLPTests: `out` must decode and re-encode to itself.
"""

import json
from typing import Any

import pytest

from pyeth.errors import DecodingError
from pyeth.sedes import UINT, decode, encode
from tests.helpers.fixtures import ETHEREUM_TESTS

TESTS_DIR = ETHEREUM_TESTS
RLP_DIR = TESTS_DIR / "RLPTests"


def _cases() -> list:
    if not RLP_DIR.is_dir():
        reason = f"RLPTests fixtures not found at {RLP_DIR} (set PYETH_TESTS_DIR)"
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for path in sorted(RLP_DIR.rglob("*.json")):
        relative = path.relative_to(RLP_DIR).with_suffix("").as_posix()
        for name, case in json.loads(path.read_text()).items():
            params.append(pytest.param(case["in"], case["out"], id=f"{relative}:{name}"))
    return params


def _item(value: Any) -> Any:
    """The fixture's `in` as an RLP item: integers become their minimal big-endian bytes."""
    if isinstance(value, list):
        return [_item(x) for x in value]
    if isinstance(value, int):
        return UINT.serialize(value)
    if value.startswith("#"):
        return UINT.serialize(int(value[1:]))
    return value.encode()


@pytest.mark.conformance
@pytest.mark.parametrize(("given", "out"), _cases())
def test_rlp(given: Any, out: str) -> None:
    data = bytes.fromhex(out.removeprefix("0x"))
    if given == "INVALID":
        with pytest.raises(DecodingError):
            decode(data)
    elif given == "VALID":
        assert encode(decode(data)) == data
    else:
        item = _item(given)
        assert encode(item) == data
        assert decode(data) == item
