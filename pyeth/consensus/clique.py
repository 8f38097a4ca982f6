"""Clique proof of authority (EIP-225): who may seal which block of a multi-node network, checked
for every imported header, and the signer that seals blocks when its turn comes.

The signers are listed in the genesis extra data (32 bytes of vanity, 20 bytes per signer, 65
zero bytes for the seal). Every block carries its signer's secp256k1 signature of the rest of
the header in the last 65 bytes of its extra data. The signer whose index in the sorted list is
`number % len(signers)` is in turn and seals with difficulty 2 as soon as the block period
since the parent has passed; the others may seal with difficulty 1 after a random wiggle delay,
in case the in-turn signer is missing. No signer may seal again within `len(signers) // 2 + 1`
blocks of its last block (the recent-signer rule), so only a majority can keep a chain going. A
block votes to add (nonce 0xff..ff) or drop (nonce 0) the signer named in its coinbase; a
proposal that more than half the signers voted for takes effect, and every checkpoint block
(`number % epoch == 0`) forgets pending votes and lists the signers in its extra data. Fork
choice is the heaviest total difficulty (`HeaviestChain`), so in-turn chains win.

`Clique.verify_header` is the chain's pluggable consensus rule for a header against its parent;
it reads headers through the chain (never the database) and keeps the signer snapshots in
memory, rebuilt from genesis after a restart. `CliqueSigner` builds blocks from the pool with
`build_block`, signs them and imports them through `Chain.import_block` like any other block:
the chain decides what is valid, the signer only when to try. Neither touches the network.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pyeth.chain import Chain, InvalidGenesis, build_block
from pyeth.chain.blocks import EMPTY_OMMERS_HASH
from pyeth.chain.genesis import CliqueConfig
from pyeth.consensus.dev import SealResult
from pyeth.errors import InvalidBlock, InvalidSignature, PyethError
from pyeth.hashing import keccak256
from pyeth.keys import private_key_to_address, recover_address, sign
from pyeth.sedes import HEADER, BlockHeader, encode
from pyeth.txpool import TxPool

EXTRA_VANITY: Final = 32  # bytes of free-form extra data before the signers and the seal
EXTRA_SEAL: Final = 65  # r || s || v of the signer's signature
ADDRESS_SIZE: Final = 20
NONCE_AUTH: Final = b"\xff" * 8  # a vote to add the coinbase as a signer
NONCE_DROP: Final = bytes(8)  # a vote to drop it (or no vote, with a zero coinbase)
DIFF_IN_TURN: Final = 2
DIFF_NO_TURN: Final = 1
WIGGLE_TIME: Final = 0.5  # seconds of random delay per signer slot for out-of-turn sealing
MAX_FUTURE_SECONDS: Final = 15  # a header may be this far ahead of our clock (drift)
SNAPSHOT_CACHE_SIZE: Final = 1024
SIGNER_CACHE_SIZE: Final = 4096
ZERO_ADDRESS: Final = bytes(20)
ZERO_HASH: Final = bytes(32)
VANITY: Final = b"pyeth".ljust(EXTRA_VANITY, b"\x00")

log = logging.getLogger(__name__)


class NotAuthorized(PyethError):
    """This node may not seal the next block (not a signer, or it signed too recently)."""


# HEADERS AND SEALS


def seal_hash(header: BlockHeader) -> bytes:
    """What the signer signs: keccak256 of the RLP header without the 65 seal bytes."""
    if len(header.extra_data) < EXTRA_SEAL:
        raise InvalidBlock("extra data too short to hold a Clique seal")
    unsealed = replace(header, extra_data=header.extra_data[:-EXTRA_SEAL])
    return keccak256(encode(unsealed, HEADER))


def sign_header(header: BlockHeader, private_key: bytes) -> BlockHeader:
    """`header` with its seal: the signature of `seal_hash` in the last 65 extra data bytes
    (which must be there, zero or not)."""
    y_parity, r, s = sign(seal_hash(header), private_key)
    seal = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([y_parity])
    return replace(header, extra_data=header.extra_data[:-EXTRA_SEAL] + seal)


def recover_signer(header: BlockHeader) -> bytes:
    """The address that sealed `header`.

    Raises:
        InvalidBlock: the extra data holds no seal or the seal does not recover.
    """
    if len(header.extra_data) < EXTRA_VANITY + EXTRA_SEAL:
        raise InvalidBlock(
            f"missing Clique seal: extra data of {len(header.extra_data)} bytes, "
            f"at least {EXTRA_VANITY + EXTRA_SEAL} needed"
        )
    seal = header.extra_data[-EXTRA_SEAL:]
    r = int.from_bytes(seal[:32], "big")
    s = int.from_bytes(seal[32:64], "big")
    try:
        return recover_address(seal_hash(header), seal[64], r, s)
    except InvalidSignature as exc:
        raise InvalidBlock(f"invalid Clique seal: {exc}") from None


def checkpoint_extra_data(
    signers: list[bytes] | tuple[bytes, ...], vanity: bytes = VANITY
) -> bytes:
    """The extra data of a checkpoint block (the genesis too): vanity, sorted signers and an
    empty seal."""
    if len(vanity) != EXTRA_VANITY:
        raise ValueError(f"vanity must be {EXTRA_VANITY} bytes")
    return vanity + b"".join(sorted(signers)) + bytes(EXTRA_SEAL)


def signers_in_extra(extra_data: bytes) -> tuple[bytes, ...]:
    """The signers a checkpoint's extra data lists, in its order.

    Raises:
        InvalidBlock: the extra data is too short or its signer part is not whole addresses.
    """
    if len(extra_data) < EXTRA_VANITY + EXTRA_SEAL:
        raise InvalidBlock("extra data too short for a Clique checkpoint")
    body = extra_data[EXTRA_VANITY:-EXTRA_SEAL]
    if len(body) % ADDRESS_SIZE:
        raise InvalidBlock(f"invalid checkpoint signers: {len(body)} bytes is not a multiple of 20")
    return tuple(body[i : i + ADDRESS_SIZE] for i in range(0, len(body), ADDRESS_SIZE))


# SNAPSHOTS


@dataclass(frozen=True, slots=True)
class Vote:
    """One signer's vote, cast in block `number`, to add or drop `address`."""

    signer: bytes
    number: int
    address: bytes
    authorize: bool


@dataclass(slots=True)
class Snapshot:
    """The authorization state after block `number`: the signers (sorted), who signed the
    recent blocks (number -> signer), and the votes cast since the last checkpoint with their
    running tally (address -> (authorize, count))."""

    number: int
    hash: bytes
    signers: tuple[bytes, ...]
    recents: dict[int, bytes] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)
    tally: dict[bytes, tuple[bool, int]] = field(default_factory=dict)

    @property
    def limit(self) -> int:
        """How many consecutive blocks a signer must leave to others (one more than half)."""
        return len(self.signers) // 2 + 1

    def in_turn(self, number: int, signer: bytes) -> bool:
        """Whether `signer` is the one whose turn block `number` is."""
        return signer in self.signers and self.signers.index(signer) == number % len(self.signers)

    def recently_signed(self, number: int, signer: bytes) -> bool:
        """Whether `signer` sealed one of the blocks that block `number` may not follow."""
        return any(s == signer and seen > number - self.limit for seen, s in self.recents.items())

    def valid_vote(self, address: bytes, authorize: bool) -> bool:
        """A vote changes something: add a non-signer or drop a signer."""
        return (address in self.signers) != authorize

    def _cast(self, address: bytes, authorize: bool) -> bool:
        if not self.valid_vote(address, authorize):
            return False
        old = self.tally.get(address)
        if old is None:
            self.tally[address] = (authorize, 1)
        elif old[0] != authorize:
            return False
        else:
            self.tally[address] = (authorize, old[1] + 1)
        return True

    def _uncast(self, address: bytes, authorize: bool) -> None:
        old = self.tally.get(address)
        if old is None or old[0] != authorize:
            return
        if old[1] > 1:
            self.tally[address] = (authorize, old[1] - 1)
        else:
            del self.tally[address]

    def apply(self, header: BlockHeader, block_hash: bytes, signer: bytes, epoch: int) -> Snapshot:
        """The snapshot after `header` (sealed by `signer`), as geth's snapshot.apply.

        Raises:
            InvalidBlock: the signer is not authorized, signed too recently, or the nonce is
                not a vote.
        """
        number = header.number
        if number != self.number + 1:
            raise InvalidBlock(f"Clique snapshot: block {number} does not follow {self.number}")
        snap = Snapshot(
            number,
            block_hash,
            self.signers,
            dict(self.recents),
            list(self.votes),
            dict(self.tally),
        )
        if number % epoch == 0:
            snap.votes.clear()
            snap.tally.clear()
        if number >= snap.limit:
            snap.recents.pop(number - snap.limit, None)
        if signer not in snap.signers:
            raise InvalidBlock(f"unauthorized signer 0x{signer.hex()}")
        if signer in snap.recents.values():
            raise InvalidBlock(f"recently signed: 0x{signer.hex()} may not seal block {number}")
        snap.recents[number] = signer
        coinbase = header.coinbase
        for index, vote in enumerate(snap.votes):
            if vote.signer == signer and vote.address == coinbase:
                snap._uncast(vote.address, vote.authorize)
                del snap.votes[index]
                break  # one vote per signer and address
        if header.nonce == NONCE_AUTH:
            authorize = True
        elif header.nonce == NONCE_DROP:
            authorize = False
        else:
            raise InvalidBlock(f"invalid vote nonce 0x{header.nonce.hex()}")
        if snap._cast(coinbase, authorize):
            snap.votes.append(Vote(signer, number, coinbase, authorize))
        tally = snap.tally.get(coinbase)
        if tally is not None and tally[1] > len(snap.signers) // 2:
            if tally[0]:
                snap.signers = tuple(sorted((*snap.signers, coinbase)))
            else:
                snap.signers = tuple(s for s in snap.signers if s != coinbase)
                if number >= snap.limit:  # the list shrank: so did the recent window
                    snap.recents.pop(number - snap.limit, None)
                for vote in [v for v in snap.votes if v.signer == coinbase]:
                    snap._uncast(vote.address, vote.authorize)
                snap.votes = [v for v in snap.votes if v.signer != coinbase]
            snap.votes = [v for v in snap.votes if v.address != coinbase]
            snap.tally.pop(coinbase, None)
        return snap


# THE ENGINE


class Clique:
    """The Clique header rules of one chain, with the signer snapshots they need.

    Args:
        config: the genesis `clique` section (block period and epoch).
        get_header: the chain's header lookup by hash (any branch).
        genesis_hash: block 0, whose extra data lists the first signers.
        clock: seconds since the epoch (tests pass a faster one).
        max_future: how many seconds ahead of `clock` a header's timestamp may be.

    Raises (on construction):
        InvalidGenesis: the genesis extra data lists no signers.
    """

    def __init__(
        self,
        config: CliqueConfig,
        get_header: Callable[[bytes], BlockHeader | None],
        genesis_hash: bytes,
        clock: Callable[[], float] = time.time,
        max_future: float = MAX_FUTURE_SECONDS,
    ) -> None:
        self.period = config.period
        self.epoch = config.epoch
        self.get_header = get_header
        self.genesis_hash = genesis_hash
        self.clock = clock
        self.max_future = max_future
        self._snapshots: OrderedDict[bytes, Snapshot] = OrderedDict()
        self._signers: OrderedDict[bytes, bytes] = OrderedDict()
        genesis = get_header(genesis_hash)
        assert genesis is not None
        try:
            signers = signers_in_extra(genesis.extra_data)
        except InvalidBlock as exc:
            raise InvalidGenesis(f"extraData: {exc}") from None
        if not signers:
            raise InvalidGenesis("extraData: a Clique genesis must list at least one signer")
        self._genesis_snapshot = Snapshot(0, genesis_hash, tuple(sorted(signers)))

    def signer_of(self, header: BlockHeader, block_hash: bytes | None = None) -> bytes:
        """The sealer of `header`, remembered by block hash."""
        block_hash = block_hash or keccak256(encode(header, HEADER))
        signer = self._signers.get(block_hash)
        if signer is None:
            signer = recover_signer(header)
            self._signers[block_hash] = signer
            if len(self._signers) > SIGNER_CACHE_SIZE:
                self._signers.popitem(last=False)
        return signer

    def snapshot(self, block_hash: bytes) -> Snapshot:
        """The authorization state after block `block_hash`.

        Walks back to the nearest remembered snapshot (or the genesis) and applies the headers
        from there; every snapshot on the way is remembered.

        Raises:
            InvalidBlock: an ancestor is missing or breaks the rules.
        """
        walked: list[bytes] = []
        cursor = block_hash
        while True:
            snap = self._snapshots.get(cursor)
            if snap is not None:
                self._snapshots.move_to_end(cursor)
                break
            if cursor == self.genesis_hash:
                snap = self._genesis_snapshot
                break
            header = self.get_header(cursor)
            if header is None:
                raise InvalidBlock(f"Clique: unknown ancestor 0x{cursor.hex()}")
            walked.append(cursor)
            cursor = header.parent_hash
        for ancestor in reversed(walked):
            header = self.get_header(ancestor)
            assert header is not None
            snap = snap.apply(header, ancestor, self.signer_of(header, ancestor), self.epoch)
            self._snapshots[ancestor] = snap
            if len(self._snapshots) > SNAPSHOT_CACHE_SIZE:
                self._snapshots.popitem(last=False)
        return snap

    def signers(self, block_hash: bytes) -> tuple[bytes, ...]:
        """The sorted signers after block `block_hash`."""
        return self.snapshot(block_hash).signers

    def verify_header(self, header: BlockHeader, parent: BlockHeader) -> None:
        """The consensus part of `header` (a `HeaderRules` for the chain).

        Raises:
            InvalidBlock: the rule broken, first in the message.
        """
        number = header.number
        if header.timestamp > self.clock() + self.max_future:
            raise InvalidBlock(f"future block: timestamp {header.timestamp} is ahead of the clock")
        checkpoint = number % self.epoch == 0
        if checkpoint and header.coinbase != ZERO_ADDRESS:
            raise InvalidBlock("invalid checkpoint beneficiary: a checkpoint may not vote")
        if header.nonce not in (NONCE_AUTH, NONCE_DROP):
            raise InvalidBlock(f"invalid vote nonce 0x{header.nonce.hex()}")
        if checkpoint and header.nonce != NONCE_DROP:
            raise InvalidBlock("invalid checkpoint vote: a checkpoint's nonce must be zero")
        extra = header.extra_data
        if len(extra) < EXTRA_VANITY + EXTRA_SEAL:
            raise InvalidBlock(
                f"missing Clique seal: extra data of {len(extra)} bytes, "
                f"at least {EXTRA_VANITY + EXTRA_SEAL} needed"
            )
        signer_bytes = len(extra) - EXTRA_VANITY - EXTRA_SEAL
        if not checkpoint and signer_bytes:
            raise InvalidBlock("extra data lists signers outside a checkpoint block")
        if checkpoint and signer_bytes % ADDRESS_SIZE:
            raise InvalidBlock("invalid checkpoint signers: not a whole number of addresses")
        if header.prev_randao != ZERO_HASH:
            raise InvalidBlock("non-zero mix digest in a Clique block")
        if header.ommers_hash != EMPTY_OMMERS_HASH:
            raise InvalidBlock("non-empty ommers in a Clique block")
        if header.difficulty not in (DIFF_IN_TURN, DIFF_NO_TURN):
            raise InvalidBlock(f"invalid difficulty {header.difficulty}: Clique uses 1 or 2")
        if header.timestamp < parent.timestamp + self.period:
            raise InvalidBlock(
                f"invalid timestamp: {header.timestamp} is less than the period "
                f"({self.period} s) after the parent's {parent.timestamp}"
            )
        snap = self.snapshot(header.parent_hash)
        if checkpoint and signers_in_extra(extra) != snap.signers:
            raise InvalidBlock("mismatching signer list on checkpoint block")
        signer = self.signer_of(header)
        if signer not in snap.signers:
            raise InvalidBlock(f"unauthorized signer 0x{signer.hex()}")
        if snap.recently_signed(number, signer):
            raise InvalidBlock(f"recently signed: 0x{signer.hex()} may not seal block {number}")
        expected = DIFF_IN_TURN if snap.in_turn(number, signer) else DIFF_NO_TURN
        if header.difficulty != expected:
            raise InvalidBlock(
                f"wrong difficulty {header.difficulty} for 0x{signer.hex()} at block {number}, "
                f"expected {expected}"
            )


# THE SIGNER


@dataclass(frozen=True, slots=True)
class SealPlan:
    """When and how this signer would seal the block after `parent_hash`."""

    parent_hash: bytes
    number: int
    timestamp: int
    in_turn: bool
    delay: float  # seconds from now, the out-of-turn wiggle included


class CliqueSigner:
    """Seals the next block when this signer may: as soon as the period has passed when in
    turn, after a random wiggle when not.

    Args:
        chain: the chain to extend (its consensus must be `engine.verify_header`).
        pool: where transactions come from.
        engine: the chain's Clique rules.
        private_key: the signer's key; its address must be among the signers to seal.
        clock, sleep: wall-clock seconds and how to wait (tests pass faster ones).
        rng: the source of the out-of-turn wiggle.
    """

    def __init__(
        self,
        chain: Chain,
        pool: TxPool,
        engine: Clique,
        private_key: bytes,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.chain = chain
        self.pool = pool
        self.engine = engine
        self.private_key = private_key
        self.address = private_key_to_address(private_key)
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.proposals: dict[bytes, bool] = {}  # address -> authorize, voted on when sealing
        self.paused = False  # set while the node catches up with its peers

    def propose(self, address: bytes, authorize: bool) -> None:
        """Vote in the blocks this signer seals to add (`authorize`) or drop `address`."""
        self.proposals[address] = authorize

    def discard(self, address: bytes) -> None:
        self.proposals.pop(address, None)

    def plan(self) -> SealPlan | None:
        """The next block this signer may seal on the head, or None: not a signer, signed too
        recently, or (period 0) nothing to seal."""
        head = self.chain.head
        head_hash = self.chain.head_hash
        snap = self.engine.snapshot(head_hash)
        number = head.number + 1
        if self.address not in snap.signers or snap.recently_signed(number, self.address):
            return None
        period = self.engine.period
        if period == 0 and next(iter(self.pool.ordered()), None) is None:
            return None  # a period of 0 seals only when there are transactions (as geth)
        now = self.clock()
        timestamp = max(head.timestamp + max(period, 1), int(now))
        in_turn = snap.in_turn(number, self.address)
        delay = timestamp - now
        if not in_turn:
            delay = max(delay, 0.0) + self.rng.uniform(0, snap.limit * WIGGLE_TIME)
        return SealPlan(head_hash, number, timestamp, in_turn, delay)

    def seal(self, timestamp: int | None = None) -> SealResult:
        """Build, sign and import the next block on the head now (at `timestamp`, by default
        the earliest the period allows).

        Raises:
            NotAuthorized: this key is not a signer or signed one of the recent blocks.
        """
        chain = self.chain
        head = chain.head
        head_hash = chain.head_hash
        snap = self.engine.snapshot(head_hash)
        number = head.number + 1
        if self.address not in snap.signers:
            raise NotAuthorized(f"0x{self.address.hex()} is not a signer")
        if snap.recently_signed(number, self.address):
            raise NotAuthorized(f"0x{self.address.hex()} signed recently; wait for others")
        if timestamp is None:
            timestamp = max(head.timestamp + max(self.engine.period, 1), int(self.clock()))
        checkpoint = number % self.engine.epoch == 0
        coinbase, nonce = ZERO_ADDRESS, NONCE_DROP
        if not checkpoint:
            votes = [(a, auth) for a, auth in self.proposals.items() if snap.valid_vote(a, auth)]
            if votes:
                coinbase, authorize = self.rng.choice(votes)
                nonce = NONCE_AUTH if authorize else NONCE_DROP
        extra = checkpoint_extra_data(snap.signers) if checkpoint else VANITY + bytes(EXTRA_SEAL)
        built = build_block(
            chain,
            [entry.tx for entry in self.pool.ordered()],
            timestamp=timestamp,
            coinbase=coinbase,
            extra_data=extra,
            prev_randao=ZERO_HASH,
        )
        difficulty = DIFF_IN_TURN if snap.in_turn(number, self.address) else DIFF_NO_TURN
        header = replace(built.block.header, difficulty=difficulty, nonce=nonce)
        block = replace(built.block, header=sign_header(header, self.private_key))
        dropped = [(tx.hash, reason) for tx, reason in built.rejected]
        # As the dev sealer: a transaction left out for want of block gas, or queued behind
        # one that was, stays for the next block; one that is otherwise invalid is dropped.
        self.pool.remove(
            h
            for h, reason in dropped
            if "block gas available" not in reason and not reason.startswith("nonce too high")
        )
        result = chain.import_block(block, executed=built.executed)
        return SealResult(result, len(block.transactions), dropped)

    async def run(self) -> None:
        """Seal whenever this signer may, for as long as the task runs."""
        wake = asyncio.Event()
        unsubscribe_chain = self.chain.subscribe(lambda _event: wake.set())
        unsubscribe_pool = self.pool.subscribe(
            lambda _entry: wake.set() if self.engine.period == 0 else None
        )
        try:
            while True:
                wake.clear()
                try:
                    plan = None if self.paused else self.plan()
                except InvalidBlock:
                    log.exception("Clique: cannot work out the signers at the head")
                    plan = None
                if plan is None:
                    await self._wait(wake, 1.0 if self.paused else None)
                    continue
                if plan.delay > 0 and await self._wait(wake, plan.delay):
                    continue  # the head moved (or a transaction came): plan again
                if self.paused or self.chain.head_hash != plan.parent_hash:
                    continue
                try:
                    sealed = self.seal(plan.timestamp)
                except NotAuthorized:
                    continue
                except Exception:  # a sealing bug must not stop this signer for good
                    log.exception("Clique: sealing block %d failed", plan.number)
                    await self.sleep(1.0)
                    continue
                log.info(
                    "sealed block %d (%s, %d transactions) 0x%s",
                    sealed.result.number,
                    "in turn" if plan.in_turn else "out of turn",
                    sealed.included,
                    sealed.result.hash.hex(),
                )
        finally:
            unsubscribe_chain()
            unsubscribe_pool()

    async def _wait(self, wake: asyncio.Event, seconds: float | None) -> bool:
        """Wait for `wake` or `seconds` (forever if None); True if woken."""
        waiter = asyncio.ensure_future(wake.wait())
        tasks: set[asyncio.Future[Any]] = {waiter}
        if seconds is not None:
            tasks.add(asyncio.ensure_future(self.sleep(seconds)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        return waiter in done
