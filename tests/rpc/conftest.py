"""Fixtures of the RPC tests: a fresh in-memory dev node and a JSON-RPC client on its app."""

from collections.abc import Iterator

import pytest

from pyeth.node import Node, NodeConfig
from pyeth.rpc import init
from tests.helpers.rpc import RpcClient


@pytest.fixture
def node() -> Iterator[Node]:
    dev_node = Node(NodeConfig())
    yield dev_node
    dev_node.close()


@pytest.fixture
async def client(aiohttp_client, node):  # type: ignore[no-untyped-def]
    return await aiohttp_client(init(node))


@pytest.fixture
async def rpc(client) -> RpcClient:  # type: ignore[no-untyped-def]
    return RpcClient(client)
