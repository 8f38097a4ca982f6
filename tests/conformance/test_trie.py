"""Runs every case of ethereum/tests TrieTests against `Trie`, `SecureTrie` and `trie_root`.

Fixture formats: `in` is either a list of [key, value] pairs applied in order (null value =
delete) or a dict (any order gives the same root); keys and values are "0x" hex or plain text.
trietestnextprev lists keys and expects each probe's previous and next stored key.
"""

import json

import pytest

from pyeth.db import MemoryNodeStore
from pyeth.trie import SecureTrie, Trie, secure_trie_root, trie_root
from tests.helpers.fixtures import ETHEREUM_TESTS

TESTS_DIR = ETHEREUM_TESTS
TRIE_DIR = TESTS_DIR / "TrieTests"

ROOT_FILES = {
    # file: is the trie secure (keys hashed)?
    "trietest.json": False,
    "trieanyorder.json": False,
    "trietest_secureTrie.json": True,
    "trieanyorder_secureTrie.json": True,
    "hex_encoded_securetrie_test.json": True,
}
NEXTPREV_FILE = "trietestnextprev.json"


def _cases(files: list[str]) -> list:
    if not TRIE_DIR.is_dir():
        reason = f"TrieTests fixtures not found at {TRIE_DIR} (set PYETH_TESTS_DIR)"
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=reason), id="missing")]
    params = []
    for name in files:
        for case, body in json.loads((TRIE_DIR / name).read_text()).items():
            params.append(pytest.param(name, case, body, id=f"{name.removesuffix('.json')}:{case}"))
    return params


def _decode(text: str | None) -> bytes | None:
    if text is None:
        return None
    return bytes.fromhex(text[2:]) if text.startswith("0x") else text.encode()


@pytest.mark.conformance
@pytest.mark.parametrize(("file", "case", "body"), _cases(list(ROOT_FILES)))
def test_root(file: str, case: str, body: dict) -> None:
    secure = ROOT_FILES[file]
    raw = body["in"]
    pairs = raw.items() if isinstance(raw, dict) else raw
    updates = [(_decode(k), _decode(v)) for k, v in pairs]
    expected = bytes.fromhex(body["root"][2:])

    store = MemoryNodeStore()
    trie = (SecureTrie if secure else Trie)(store)
    final: dict[bytes, bytes] = {}
    for key, value in updates:
        assert key is not None
        if value:
            trie.put(key, value)
            final[key] = value
        else:
            trie.delete(key)
            final.pop(key, None)
    assert trie.root_hash == expected
    assert (secure_trie_root if secure else trie_root)(final) == expected

    # The committed nodes alone must reproduce the trie, and every value must read back.
    assert trie.commit() == expected
    reopened = (SecureTrie if secure else Trie)(store, expected)
    for key, value in final.items():
        assert reopened.get(key) == value

    if isinstance(raw, dict):  # "any order": the reverse insertion order must agree too
        backwards = (SecureTrie if secure else Trie)(MemoryNodeStore())
        for key, value in reversed(updates):
            backwards.put(key, value or b"")
        assert backwards.root_hash == expected


@pytest.mark.conformance
@pytest.mark.parametrize(("file", "case", "body"), _cases([NEXTPREV_FILE]))
def test_next_prev(file: str, case: str, body: dict) -> None:
    # The fixture has no root: it checks key order. Each probe is [key, previous, next] with ""
    # for "none"; probes need not be stored keys. Keys are stored as their own values.
    trie = Trie(MemoryNodeStore())
    for key in body["in"]:
        trie.put(key.encode(), key.encode())
    assert [k for k, _ in trie.items()] == sorted(k.encode() for k in body["in"])
    for probe, prev, nxt in body["tests"]:
        assert trie.prev_key(probe.encode()) == (prev.encode() or None), probe
        assert trie.next_key(probe.encode()) == (nxt.encode() or None), probe
