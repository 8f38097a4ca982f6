"""Blob transactions through eth_sendRawTransaction in their network form (with blobs,
commitments and proofs): EIP-7594 cell proofs on the default (Osaka and later) chain, EIP-4844
blob proofs on a Prague chain; mined with their blob gas. The bare form, proofs that do not
hold and the other fork's wrapper are refused."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import ckzg
import pytest

from evm.precompiles.point_evaluation import kzg_to_versioned_hash, trusted_setup
from pyeth.node import Node, NodeConfig
from pyeth.rpc import init
from pyeth.sedes import decode, encode
from pyeth.transactions import BlobTransaction, encode_transaction, sign_transaction
from tests.helpers.rpc import KEY0, RpcClient

CHAIN_ID = 1337
GWEI = 10**9
TARGET = bytes.fromhex("000000000000000000000000000000000000beef")
BLOB = b"".join((i % 251).to_bytes(32, "big") for i in range(4096))


@functools.cache
def blob_parts() -> tuple[bytes, list[bytes], bytes]:
    """BLOB's commitment, its 128 cell proofs and its blob proof (computing them takes ~0.6 s)."""
    setup = trusted_setup()
    commitment = ckzg.blob_to_kzg_commitment(BLOB, setup)
    _, cell_proofs = ckzg.compute_cells_and_kzg_proofs(BLOB, setup)
    return commitment, list(cell_proofs), ckzg.compute_blob_kzg_proof(BLOB, commitment, setup)


def blob_tx(nonce: int = 0) -> tuple[BlobTransaction, bytes]:
    commitment, _, _ = blob_parts()
    unsigned = BlobTransaction(
        CHAIN_ID,
        nonce,
        GWEI,
        100 * GWEI,
        50_000,
        TARGET,
        1,
        b"",
        (),
        10 * GWEI,
        (kzg_to_versioned_hash(commitment),),
    )
    signed = sign_transaction(unsigned, KEY0, CHAIN_ID)
    return signed, encode_transaction(signed)


def network_form(bare: bytes, cell_proofs: bool, proofs: list[bytes] | None = None) -> str:
    commitment, cells, single = blob_parts()
    if proofs is None:
        proofs = cells if cell_proofs else [single]
    wrapper = [decode(bare[1:]), *([b"\x01"] if cell_proofs else []), [BLOB], [commitment], proofs]
    return "0x" + (b"\x03" + encode(wrapper)).hex()


@pytest.fixture
def prague_node() -> Iterator[Node]:
    node = Node(NodeConfig(hardfork="prague"))
    yield node
    node.close()


async def test_blob_transaction_with_cell_proofs_is_mined(rpc):
    tx, bare = blob_tx()
    tx_hash = await rpc.call("eth_sendRawTransaction", network_form(bare, cell_proofs=True))
    assert tx_hash == "0x" + tx.hash.hex()
    receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["type"] == "0x3"
    assert receipt["blobGasUsed"] == hex(131_072)
    block = await rpc.call("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert block["blobGasUsed"] == hex(131_072) and block["transactions"] == [tx_hash]
    found = await rpc.call("eth_getTransactionByHash", tx_hash)
    assert found["blobVersionedHashes"] == ["0x" + tx.blob_versioned_hashes[0].hex()]


async def test_blob_transaction_needs_its_blobs_and_valid_proofs(rpc):
    _, bare = blob_tx()
    error = await rpc.error("eth_sendRawTransaction", "0x" + bare.hex())
    assert error["code"] == -32000 and "without its blobs" in error["message"]
    _, cells, _ = blob_parts()
    wrong = cells[1:] + cells[:1]  # every proof at another cell
    error = await rpc.error("eth_sendRawTransaction", network_form(bare, True, wrong))
    assert "do not verify" in error["message"]
    error = await rpc.error("eth_sendRawTransaction", network_form(bare, cell_proofs=False))
    assert "sidecar version 0" in error["message"]
    assert (
        await rpc.call(
            "eth_getTransactionCount", "0x" + "f39fd6e51aad88f6f4ce6ab8827279cfffb92266", "pending"
        )
        == "0x0"
    )


async def test_blob_proofs_before_osaka(aiohttp_client, prague_node):  # type: ignore[no-untyped-def]
    rpc = RpcClient(await aiohttp_client(init(prague_node)))
    _, bare = blob_tx()
    error = await rpc.error("eth_sendRawTransaction", network_form(bare, cell_proofs=True))
    assert "sidecar version 1" in error["message"]
    tx_hash = await rpc.call("eth_sendRawTransaction", network_form(bare, cell_proofs=False))
    receipt = await rpc.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["blobGasUsed"] == hex(131_072)
