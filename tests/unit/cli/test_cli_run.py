"""`pyeth run`, in process through `pyeth.cli.main`: output, exact gas, errors and exit status,
the geth-shaped trace, and the benchmark line."""

import json

import pytest

from pyeth.cli import main
from pyeth.cli import run as run_command
from tests.helpers.bytecode import Op, return_word

# PUSH1 1, PUSH1 2, ADD, PUSH1 0, SSTORE: stores 3 in slot 0 (cold slot: 2100 + 20000).
STORE_3 = "6001600201600055"
STORE_3_GAS = 3 + 3 + 3 + 3 + 22100


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(["run", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_store_3_output_and_exact_gas(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "--code", STORE_3, "--gas", "100000")
    assert status == 0
    assert out == ["output: 0x", f"gas used: {STORE_3_GAS}"]
    assert err == ""


def test_return_data_input_and_value(capsys: pytest.CaptureFixture[str]) -> None:
    # Returns CALLDATALOAD(0) + CALLVALUE.
    code = return_word(Op.ADD(Op.CALLDATALOAD(0), Op.CALLVALUE)).hex()
    status, out, _ = run_cli(
        capsys, "--code", "0x" + code, "--input", "0x" + "00" * 31 + "05", "--value", "0x10"
    )
    assert status == 0
    assert out[0] == "output: 0x" + (0x15).to_bytes(32, "big").hex()
    # PUSH0 3 (CALLDATALOAD) 2 (CALLVALUE) 3 (ADD) + return_word's 13.
    assert out[1] == f"gas used: {2 + 3 + 2 + 3 + 13}"


def test_sender_is_the_caller(capsys: pytest.CaptureFixture[str]) -> None:
    code = return_word(Op.CALLER).hex()
    sender = "0x" + "ab" * 20
    status, out, _ = run_cli(capsys, "--code", code, "--sender", sender)
    assert status == 0
    assert out[0] == "output: 0x" + "00" * 12 + "ab" * 20


def test_receiver_is_geths_default(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--code", return_word(Op.ADDRESS).hex())
    receiver = "0000000000000000000000007265636569766572"  # "receiver" in ASCII
    assert out[0] == "output: 0x" + "00" * 12 + receiver
    status, out, _ = run_cli(capsys, "--code", return_word(Op.CALLER).hex())
    assert out[0].endswith("73656e646572")  # "sender"


def test_revert_exits_1_with_its_data(capsys: pytest.CaptureFixture[str]) -> None:
    code = (Op.MSTORE8(0, 0xAA) + Op.REVERT(0, 1)).hex()
    status, out, _ = run_cli(capsys, "--code", code, "--gas", "1000")
    assert status == 1
    assert out == [
        "output: 0xaa",
        f"gas used: {3 + 2 + 3 + 3 + 3 + 2}",
        "error: execution reverted",
    ]


def test_halt_burns_all_gas(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--code", "01", "--gas", "5000")
    assert status == 1
    assert out == ["output: 0x", "gas used: 5000", "error: stack underflow"]


def test_out_of_gas(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--code", STORE_3, "--gas", "22000")
    assert status == 1
    assert out[1:] == ["gas used: 22000", "error: out of gas"]


def test_codefile(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "code.hex"
    path.write_text("0x" + STORE_3 + "\n")
    status, out, _ = run_cli(capsys, "--codefile", str(path), "--gas", "100000")
    assert status == 0
    assert out[1] == f"gas used: {STORE_3_GAS}"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--code", "0xzz"], "--code: not hex"),
        (["--code", "600"], "--code: hex data has an odd number of digits"),
        (["--code", "00", "--input", "0xg0"], "--input: not hex"),
        (["--code", "00", "--gas", "lots"], "--gas: not a number"),
        (["--code", "00", "--gas", "-5"], "--gas: must not be negative"),
        (["--code", "00", "--value", "1.5"], "--value: not a number"),
        (["--code", "00", "--gas", str(2**64)], "--gas: at most 2**64 - 1"),
        (["--code", "00", "--value", hex(2**256)], "--value: at most 2**256 - 1"),
        (["--code", "00", "--sender", "0x1234"], "--sender: an address has 20 bytes, got 2"),
        (["--code", "00", "--fork", "Homestead"], "unknown fork 'Homestead'"),
        (["--gas", "5"], "give the bytecode with --code HEX or --codefile PATH"),
        (["--codefile", "/nonexistent/code.hex"], "--codefile: cannot read"),
    ],
)
def test_malformed_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = run_cli(capsys, *args)
    assert status == 2
    assert out == []
    assert err.startswith("pyeth run: ")
    assert message in err


def test_code_and_codefile_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--code", "00", "--codefile", "x"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# --- --trace ------------------------------------------------------------------------------

GETH_STEP_KEYS = ["pc", "op", "gas", "gasCost", "memSize", "stack", "depth", "opName"]


def test_trace_lines_have_geths_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--code", STORE_3, "--gas", "100000", "--trace")
    assert status == 0
    steps = [json.loads(line) for line in out]
    summary = steps.pop()
    assert all(list(step) == GETH_STEP_KEYS for step in steps)
    assert steps[0] == {
        "pc": 0,
        "op": 0x60,
        "gas": hex(100000),
        "gasCost": "0x3",
        "memSize": 0,
        "stack": [],
        "depth": 1,
        "opName": "PUSH1",
    }
    assert steps[1]["stack"] == ["0x1"]
    assert [(s["pc"], s["opName"], s["gasCost"]) for s in steps] == [
        (0, "PUSH1", "0x3"),
        (2, "PUSH1", "0x3"),
        (4, "ADD", "0x3"),
        (5, "PUSH1", "0x3"),
        (7, "SSTORE", hex(22100)),
        (8, "STOP", "0x0"),
    ]
    assert steps[4]["stack"] == ["0x3", "0x0"]
    assert steps[5]["gas"] == hex(100000 - STORE_3_GAS)
    assert summary == {"output": "0x", "gasUsed": hex(STORE_3_GAS), "error": ""}


def test_trace_follows_calls_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    """A call's line comes before its child's lines; the child runs at depth 2."""
    # Calls the identity precompile (no steps) and then itself with calldata 1 (which stops).
    code = (
        Op.JUMPI(Op.PUSH1[0x1D], Op.CALLDATASIZE)  # 4 bytes: PUSH1 1d, CALLDATASIZE, JUMPI
        + Op.MSTORE8(0, 1)
        + Op.POP(Op.CALL(Op.GAS, Op.ADDRESS, 0, 0, 1, 0, 0))
        + Op.STOP
    )
    code += Op.JUMPDEST * (0x1D - len(code) + 1)
    code += Op.STOP
    assert bytes(code)[0x1D] == 0x5B
    status, out, _ = run_cli(capsys, "--code", code.hex(), "--gas", "1000000", "--trace")
    assert status == 0
    steps = [json.loads(line) for line in out[:-1]]
    call_index = next(i for i, s in enumerate(steps) if s["opName"] == "CALL")
    child = steps[call_index + 1]
    assert child["depth"] == 2 and child["pc"] == 0
    assert steps[call_index]["depth"] == 1
    after = next(s for s in steps[call_index + 1 :] if s["depth"] == 1)
    assert after["opName"] == "POP"
    # The CALL's cost: warm receiver 100 + memory for its 1-byte input (already grown) and
    # what its child used, net of the gas given back.
    child_used = sum(int(s["gasCost"], 16) for s in steps if s["depth"] == 2)
    call = steps[call_index]
    assert int(call["gas"], 16) - int(call["gasCost"], 16) == int(after["gas"], 16)
    assert int(call["gasCost"], 16) == 100 + child_used


def test_trace_summary_reports_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--code", "6001600056", "--gas", "100", "--trace")
    assert status == 1
    assert json.loads(out[-1]) == {
        "output": "0x",
        "gasUsed": hex(100),
        "error": "invalid jump destination",
    }
    assert json.loads(out[-2])["opName"] == "JUMP"


def test_trace_and_bench_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--code", "00", "--trace", "--bench"])
    assert exit_info.value.code == 2


# --- --bench ------------------------------------------------------------------------------


def test_bench_prints_one_json_line(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(run_command, "BENCH_MIN_SECONDS", 0.0)
    status, out, _ = run_cli(capsys, "--code", STORE_3, "--gas", "100000", "--bench")
    assert status == 0
    assert len(out) == 1
    line = json.loads(out[0])
    assert list(line) == ["output", "gasUsed", "seconds", "runs"]
    assert line["output"] == "0x"
    # The same on every run (each gets a fresh state), in hex as in --trace's JSON (geth's way).
    assert line["gasUsed"] == hex(STORE_3_GAS)
    assert line["runs"] == run_command.BENCH_MIN_RUNS
    assert 0 < line["seconds"] < 1


def test_bench_runs_on_fresh_states() -> None:
    """A second run on the same state would find slot 0 set and pay 2900, not 22100."""
    run = run_command.Run(
        bytes.fromhex(STORE_3),
        b"",
        100_000,
        0,
        run_command.DEFAULT_SENDER,
        run_command.rules_for("Cancun"),
    )
    ticks = iter(range(1000))
    result, timings = run_command.benchmark(run, clock=lambda: float(next(ticks)))
    assert 100_000 - result.gas_left == STORE_3_GAS
    # A fake clock of one second per run: 10 runs reach the minimum count and time.
    assert timings == [1.0] * 10


def test_the_default_fork_is_the_newest(capsys: pytest.CaptureFixture[str]) -> None:
    # PUSH1 1, CLZ (0x1e, Osaka's EIP-7939), STOP: runs by default, not under --fork Cancun.
    clz = "60011e00"
    status, _, _ = run_cli(capsys, "--code", clz)
    assert status == 0
    status, out, _ = run_cli(capsys, "--code", clz, "--fork", "Cancun")
    assert status == 1 and any("invalid opcode" in line.lower() for line in out)


def test_gas_is_hex_in_every_json_output_and_decimal_in_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One convention per output, as geth's `evm`: JSON lines say gas as hex strings, the
    plain text as a decimal number; all three say the same amount."""
    monkeypatch.setattr(run_command, "BENCH_MIN_SECONDS", 0.0)
    _, text, _ = run_cli(capsys, "--code", STORE_3, "--gas", "100000")
    _, trace, _ = run_cli(capsys, "--code", STORE_3, "--gas", "100000", "--trace")
    _, bench, _ = run_cli(capsys, "--code", STORE_3, "--gas", "100000", "--bench")
    assert text[1] == f"gas used: {STORE_3_GAS}"
    json_lines = [json.loads(line) for line in trace + bench]
    for line in json_lines:
        for key in ("gas", "gasCost", "gasUsed"):
            if key in line:
                assert isinstance(line[key], str) and line[key].startswith("0x"), (key, line)
    assert json.loads(trace[-1])["gasUsed"] == json.loads(bench[0])["gasUsed"] == hex(STORE_3_GAS)
