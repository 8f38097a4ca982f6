"""Fork rules as data: the 256-slot tables the interpreter indexes by opcode byte, the
precompiles, the size limits and the few prices and switches that moved between forks. A new
fork is the previous one with a few changes (`LONDON = BERLIN.with_changes(...)`), never a copy
of the VM. The first fork pyeth runs is Berlin (EIP-2929 access lists are assumed throughout)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from evm.compiler import ENDS_BLOCK
from evm.gas import (
    GAS_INITCODE_WORD,
    GAS_LOW,
    MAX_REFUND_QUOTIENT,
    MAX_REFUND_QUOTIENT_BERLIN,
    REFUND_SELFDESTRUCT_BERLIN,
    REFUND_SSTORE_CLEARS,
    REFUND_SSTORE_CLEARS_BERLIN,
)
from evm.instructions import bitwise
from evm.instructions.system import invalid
from evm.opcodes import CANCUN_OPS, DIFFICULTY, STACK_LIMIT, Handler, Op
from evm.precompiles import (
    BERLIN_PRECOMPILES,
    CANCUN_PRECOMPILES,
    OSAKA_PRECOMPILES,
    PRAGUE_PRECOMPILES,
    Precompile,
)

MAX_CODE_SIZE = 24576  # EIP-170
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860


@dataclass(frozen=True)
class ForkRules:
    """Everything that differs between forks, in the shape the interpreter wants it."""

    name: str
    ops: Mapping[int, Op]
    precompiles: Mapping[bytes, Precompile]
    max_code_size: int = MAX_CODE_SIZE
    max_initcode_size: int | None = MAX_INITCODE_SIZE  # EIP-3860 (Shanghai); None: no limit
    initcode_word_gas: int = GAS_INITCODE_WORD  # EIP-3860: per word of init code
    # Transaction types the fork accepts (EIP-2718): 1 from Berlin, 2 London, 3 Cancun, 4 Prague.
    tx_types: frozenset[int] = frozenset({0, 1, 2, 3})
    # Refunds (EIP-3529 from London): for clearing a slot, for SELFDESTRUCT, and the cap as a
    # fraction (1 / quotient) of the gas used.
    sstore_clears_refund: int = REFUND_SSTORE_CLEARS
    selfdestruct_refund: int = 0
    refund_quotient: int = MAX_REFUND_QUOTIENT
    reject_ef_code: bool = True  # EIP-3541 (London): no new code may start with 0xEF
    warm_coinbase: bool = True  # EIP-3651 (Shanghai)
    selfdestruct_only_new: bool = True  # EIP-6780 (Cancun): only same-transaction accounts go
    # Blob schedule (EIP-4844, EIP-7691, the blob-parameter-only forks): blobs per block and
    # the update fraction of the blob base fee; a genesis `blobSchedule` may override them.
    blob_target: int = 3
    blob_max: int = 6
    blob_update_fraction: int = 3338477
    max_blobs_per_tx: int | None = None  # EIP-7594 (Osaka); before it, blob_max bounds a tx
    tx_gas_limit_cap: int | None = None  # EIP-7825 (Osaka)
    calldata_floor: bool = False  # EIP-7623 (Prague)
    set_code: bool = False  # EIP-7702 (Prague): type-4 transactions and delegations
    blob_reserve_price: bool = False  # EIP-7918 (Osaka): excess blob gas vs execution cost
    handlers: list = field(init=False, repr=False)
    static_gas: list[int] = field(init=False, repr=False)
    min_stack: list[int] = field(init=False, repr=False)
    max_stack: list[int] = field(init=False, repr=False)
    ends_block: list[bool] = field(init=False, repr=False)  # see evm.compiler.ENDS_BLOCK

    def __post_init__(self) -> None:
        # Undefined slots: the INVALID handler, free, with no stack requirement.
        handlers: list[Handler] = [invalid] * 256
        static_gas = [0] * 256
        min_stack = [0] * 256
        max_stack = [STACK_LIMIT] * 256
        for code, op in self.ops.items():
            handlers[code] = op.handler
            static_gas[code] = op.gas
            min_stack[code] = op.pops
            max_stack[code] = STACK_LIMIT - max(0, op.pushes - op.pops)
        object.__setattr__(self, "handlers", handlers)
        object.__setattr__(self, "static_gas", static_gas)
        object.__setattr__(self, "min_stack", min_stack)
        object.__setattr__(self, "max_stack", max_stack)
        ends_block = [code in ENDS_BLOCK or code not in self.ops for code in range(256)]
        object.__setattr__(self, "ends_block", ends_block)

    def with_changes(
        self,
        name: str,
        ops: Iterable[Op] = (),
        removed: Iterable[int] = (),
        precompiles: Mapping[bytes, Precompile] | None = None,
        **changes: object,
    ) -> "ForkRules":
        """A later fork: these opcodes added or replaced, these removed, precompiles added."""
        table = dict(self.ops)
        for code in removed:
            table.pop(code, None)
        for op in ops:
            table[op.code] = op
        merged = dict(self.precompiles)
        merged.update(precompiles or {})
        return replace(self, name=name, ops=table, precompiles=merged, **changes)  # type: ignore[arg-type]

    def with_blob_schedule(self, target: int, maximum: int, update_fraction: int) -> "ForkRules":
        """These rules with another blob schedule (from a genesis or fixture `blobSchedule`)."""
        if (target, maximum, update_fraction) == (
            self.blob_target,
            self.blob_max,
            self.blob_update_fraction,
        ):
            return self
        return replace(
            self, blob_target=target, blob_max=maximum, blob_update_fraction=update_fraction
        )

    @property
    def max_blobs_in_tx(self) -> int:
        """The most blobs one transaction may carry."""
        if self.max_blobs_per_tx is None:
            return self.blob_max
        return min(self.max_blobs_per_tx, self.blob_max)


_OPS = {op.code: op for op in CANCUN_OPS}
# Opcodes the forks after Berlin added: BASEFEE (London), PUSH0 (Shanghai), TLOAD, TSTORE,
# MCOPY, BLOBHASH, BLOBBASEFEE (Cancun).
_LONDON_OPS = (0x48,)
_SHANGHAI_OPS = (0x5F,)
_CANCUN_OPS = (0x5C, 0x5D, 0x5E, 0x49, 0x4A)

BERLIN = ForkRules(
    "Berlin",
    {
        **{
            code: op
            for code, op in _OPS.items()
            if code not in _LONDON_OPS + _SHANGHAI_OPS + _CANCUN_OPS
        },
        DIFFICULTY.code: DIFFICULTY,
    },
    BERLIN_PRECOMPILES,
    max_initcode_size=None,
    initcode_word_gas=0,
    tx_types=frozenset({0, 1}),  # EIP-2930 access lists
    sstore_clears_refund=REFUND_SSTORE_CLEARS_BERLIN,
    selfdestruct_refund=REFUND_SELFDESTRUCT_BERLIN,
    refund_quotient=MAX_REFUND_QUOTIENT_BERLIN,
    reject_ef_code=False,
    warm_coinbase=False,
    selfdestruct_only_new=False,
)

LONDON = BERLIN.with_changes(
    "London",
    ops=[_OPS[code] for code in _LONDON_OPS],  # BASEFEE (EIP-3198)
    tx_types=frozenset({0, 1, 2}),  # EIP-1559
    sstore_clears_refund=REFUND_SSTORE_CLEARS,  # EIP-3529
    selfdestruct_refund=0,
    refund_quotient=MAX_REFUND_QUOTIENT,
    reject_ef_code=True,  # EIP-3541
)

PARIS = LONDON.with_changes("Paris", ops=[_OPS[0x44]])  # PREVRANDAO (EIP-4399)

SHANGHAI = PARIS.with_changes(
    "Shanghai",
    ops=[_OPS[code] for code in _SHANGHAI_OPS],  # PUSH0 (EIP-3855)
    max_initcode_size=MAX_INITCODE_SIZE,  # EIP-3860
    initcode_word_gas=GAS_INITCODE_WORD,
    warm_coinbase=True,  # EIP-3651
)

CANCUN = SHANGHAI.with_changes(
    "Cancun",
    ops=[_OPS[code] for code in _CANCUN_OPS],  # EIP-1153, EIP-5656, EIP-4844, EIP-7516
    precompiles=CANCUN_PRECOMPILES,  # the KZG point evaluation (EIP-4844)
    tx_types=frozenset({0, 1, 2, 3}),  # blob transactions (EIP-4844)
    selfdestruct_only_new=True,  # EIP-6780
)

PRAGUE = CANCUN.with_changes(
    "Prague",
    tx_types=frozenset({0, 1, 2, 3, 4}),
    precompiles=PRAGUE_PRECOMPILES,  # BLS12-381 (EIP-2537)
    blob_target=6,  # EIP-7691
    blob_max=9,
    blob_update_fraction=5007716,
    calldata_floor=True,  # EIP-7623
    set_code=True,  # EIP-7702
)

OSAKA = PRAGUE.with_changes(
    "Osaka",
    ops=[Op(0x1E, "CLZ", bitwise.clz, 1, 1, GAS_LOW)],  # EIP-7939
    precompiles=OSAKA_PRECOMPILES,  # MODEXP bounds and price (EIP-7823, 7883), P256VERIFY
    max_blobs_per_tx=6,  # EIP-7594
    tx_gas_limit_cap=2**24,  # EIP-7825
    blob_reserve_price=True,  # EIP-7918
)

# Blob-parameter-only forks (EIP-7892): Osaka with a larger blob schedule.
BPO1 = OSAKA.with_changes("BPO1", blob_target=10, blob_max=15, blob_update_fraction=8346193)
BPO2 = BPO1.with_changes("BPO2", blob_target=14, blob_max=21, blob_update_fraction=11684671)

FORKS: dict[str, ForkRules] = {
    rules.name: rules
    for rules in (BERLIN, LONDON, PARIS, SHANGHAI, CANCUN, PRAGUE, OSAKA, BPO1, BPO2)
}


def rules_for(name: str) -> ForkRules:
    """The rules of fork `name`, or a ValueError listing the forks pyeth knows."""
    try:
        return FORKS[name]
    except KeyError:
        raise ValueError(f"unknown fork {name!r}; known: {', '.join(FORKS)}") from None
