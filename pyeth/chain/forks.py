"""Which rules a block runs under: the fork schedule of a chain config (forks activated by block
number up to the merge, by timestamp after it, as geth's genesis.json has them) and the blob
schedule of each fork from the config's `blobSchedule`.

`rules_at(config, number, timestamp)` is the one place that turns a block's number and timestamp
into the `ForkRules` it executes and is validated under; the chain, the block builder, the node
and the RPC all ask it. The EVM side of each fork is `evm.forks`; a blob-parameter-only fork
that pyeth has no table for (BPO3, BPO4, ... that only test configs schedule) is the last EVM
fork before it with the blob schedule the config gives it. This module reads no files: parsing
genesis.json is `genesis`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from evm.forks import FORKS, ForkRules

if TYPE_CHECKING:
    from pyeth.chain.genesis import ChainConfig

# Block-numbered forks in activation order, with their genesis.json keys.
BLOCK_FORKS: Final = (
    ("Homestead", "homesteadBlock"),
    ("TangerineWhistle", "eip150Block"),
    ("SpuriousDragon", "eip155Block"),
    ("SpuriousDragon", "eip158Block"),
    ("Byzantium", "byzantiumBlock"),
    ("Constantinople", "constantinopleBlock"),
    ("Petersburg", "petersburgBlock"),
    ("Istanbul", "istanbulBlock"),
    ("MuirGlacier", "muirGlacierBlock"),
    ("Berlin", "berlinBlock"),
    ("London", "londonBlock"),
    ("ArrowGlacier", "arrowGlacierBlock"),
    ("GrayGlacier", "grayGlacierBlock"),
    ("Paris", "mergeNetsplitBlock"),
)
# Timestamp-scheduled forks in activation order, with their genesis.json keys. The
# blob-parameter-only forks (EIP-7892) change nothing but the blob schedule.
TIME_FORKS: Final = (
    ("Shanghai", "shanghaiTime"),
    ("Cancun", "cancunTime"),
    ("Prague", "pragueTime"),
    ("Osaka", "osakaTime"),
    ("BPO1", "bpo1Time"),
    ("BPO2", "bpo2Time"),
    ("BPO3", "bpo3Time"),
    ("BPO4", "bpo4Time"),
    ("BPO5", "bpo5Time"),
)
FORK_ORDER: Final = ("Frontier", *dict.fromkeys(name for name, _ in BLOCK_FORKS + TIME_FORKS))
# The first fork pyeth runs: every fork up to it must be active at genesis.
FIRST_FORK: Final = "Berlin"
# Forks that only delayed the difficulty bomb: London's rules under their own names.
BOMB_DELAY_FORKS: Final = ("ArrowGlacier", "GrayGlacier")


@dataclass(frozen=True, slots=True)
class BlobParams:
    """One fork's entry of `blobSchedule`: blobs per block (target and maximum) and the blob
    base fee's update fraction."""

    target: int
    max: int
    update_fraction: int


FORK_INDEX: Final = {name: index for index, name in enumerate(FORK_ORDER)}
"""Each fork's place in FORK_ORDER (a dozen `since` checks run per block)."""


def since(rules: ForkRules, fork: str) -> bool:
    """Whether `rules` are those of `fork` or a later one."""
    return FORK_INDEX[rules.name] >= FORK_INDEX[fork]


def rules_at(config: ChainConfig, number: int, timestamp: int) -> ForkRules:
    """The rules of the block with this number and timestamp on the chain of `config`."""
    fork = config.fork_at(number, timestamp)
    return fork_rules(fork, config.blob_schedule.get(fork))


@lru_cache(maxsize=64)
def fork_rules(fork: str, blob: BlobParams | None = None) -> ForkRules:
    """The rules of `fork`, with `blob` as its blob schedule when given.

    Raises:
        ValueError: pyeth does not run `fork`, or it is a blob-parameter-only fork without a
            table of its own and `blob` is None.
    """
    rules = FORKS.get(fork)
    if fork in BOMB_DELAY_FORKS:
        rules = FORKS["London"].with_changes(fork)
    if rules is None:
        newest = max(FORKS, key=FORK_ORDER.index)
        if fork not in FORK_ORDER or FORK_ORDER.index(fork) < FORK_ORDER.index(newest):
            raise ValueError(f"fork {fork} is not one pyeth runs (it runs {', '.join(FORKS)})")
        if blob is None:
            raise ValueError(f"fork {fork} changes only the blob schedule, and none is given")
        rules = FORKS[newest].with_changes(fork)
    if blob is not None:
        rules = rules.with_blob_schedule(blob.target, blob.max, blob.update_fraction)
    return rules


def default_blob_schedule(fork: str) -> BlobParams | None:
    """The blob schedule pyeth's own table has for `fork` (mainnet's), or None."""
    rules = FORKS.get(fork)
    if rules is None:
        return None
    return BlobParams(rules.blob_target, rules.blob_max, rules.blob_update_fraction)
