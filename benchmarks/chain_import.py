"""Block import speed: blocks/s and transactions/s for a chain of ETH and token transfers.

Builds (untimed) a chain of `--blocks` blocks, each with `--txs` transactions: half plain ETH
transfers (type 2), half calls of a small token contract (a balance read and two SSTOREs and a
LOG3, like an ERC-20 `transfer`), from `--senders` funded accounts. Then imports the encoded
blocks into a fresh chain, in memory and on disk (`--datadir`-style SQLite in a temporary
folder), and reports the CPU time of each (steadier than wall time on a shared machine; the
SQLite fsyncs of WAL mode with synchronous=NORMAL happen only at checkpoints). Import includes
everything a node does with a block from a peer: decoding, sender recovery, validation,
execution, the state root, and the database transaction.

    python benchmarks/chain_import.py [--blocks 200] [--txs 50] [--senders 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/evm.py would shadow the `evm` package: drop this folder from the path. The token
# contract and genesis come from the chain tests' helpers.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "tests" / "unit" / "chain"))

from chain_helpers import (  # noqa: E402
    BEACON_ROOTS_ADDRESS,
    TOKEN_ADDRESS,
    TOKEN_CODE,
    make_genesis,
)

from pyeth.chain import Chain, encode_block  # noqa: E402
from pyeth.chain.builder import build_block  # noqa: E402
from pyeth.hashing import keccak256  # noqa: E402
from pyeth.keys import private_key_to_address  # noqa: E402
from pyeth.state import Account  # noqa: E402
from pyeth.transactions import (  # noqa: E402
    FeeMarketTransaction,
    LegacyTransaction,
    sign_transaction,
)

CHAIN_ID = 1337


def build_chain(blocks: int, txs: int, senders: int) -> tuple[object, list[bytes], int]:
    keys = [keccak256(b"bench sender %d" % i) for i in range(senders)]
    addresses = [private_key_to_address(k) for k in keys]
    extra = {a: Account(balance=10**24) for a in addresses}
    token = Account(
        nonce=1,
        code=TOKEN_CODE,
        code_hash=keccak256(TOKEN_CODE),
        storage={int.from_bytes(a, "big"): 10**30 for a in addresses},
    )
    extra[TOKEN_ADDRESS] = token
    genesis = make_genesis(extra)
    assert BEACON_ROOTS_ADDRESS in genesis.alloc
    chain = Chain.open(None, genesis)
    nonces = [0] * senders
    encoded = []
    count = 0
    for number in range(blocks):
        batch = []
        for i in range(txs):
            sender = (number * txs + i) % senders
            recipient = keccak256(b"recipient %d" % (number * txs + i))[:20]
            if i % 2:
                tx = FeeMarketTransaction(
                    chain_id=CHAIN_ID,
                    nonce=nonces[sender],
                    max_priority_fee_per_gas=1,
                    max_fee_per_gas=10**11,
                    gas_limit=21_000,
                    to=recipient,
                    value=1,
                )
            else:
                data = recipient.rjust(32, b"\0") + (1).to_bytes(32, "big")
                tx = LegacyTransaction(  # type: ignore[assignment]
                    nonce=nonces[sender],
                    gas_price=10**11,
                    gas_limit=100_000,
                    to=TOKEN_ADDRESS,
                    data=data,
                )
            batch.append(sign_transaction(tx, keys[sender], CHAIN_ID))
            nonces[sender] += 1
        built = build_block(chain, batch, timestamp=chain.head.timestamp + 12)
        assert not built.rejected, built.rejected[:1]
        chain.import_block(built.block)
        encoded.append(encode_block(built.block))
        count += len(batch)
    return genesis, encoded, count


def time_import(genesis: object, encoded: list[bytes], datadir: Path | None) -> float:
    chain = Chain.open(datadir, genesis)  # type: ignore[arg-type]
    started = time.process_time()  # CPU time: steady while the machine runs other work
    for raw in encoded:
        chain.import_block(raw)
    elapsed = time.process_time() - started
    chain.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--txs", type=int, default=50, help="transactions per block")
    parser.add_argument("--senders", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    genesis, encoded, count = build_chain(args.blocks, args.txs, args.senders)
    print(
        f"built {args.blocks} blocks, {count} transactions in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    for label, datadir in (("memory", None), ("sqlite", "tmp")):
        if datadir is None:
            elapsed = time_import(genesis, encoded, None)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                elapsed = time_import(genesis, encoded, Path(tmp))
        print(
            f"{label:7s} {args.blocks / elapsed:8.1f} blocks/s {count / elapsed:9.1f} tx/s "
            f"({elapsed:.2f}s for {args.blocks} blocks of {args.txs} transactions)"
        )


if __name__ == "__main__":
    main()
