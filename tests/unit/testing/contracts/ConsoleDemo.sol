// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// A small console library of our own for pyeth's tests. It calls the console address the way
/// Hardhat's and forge-std's console libraries do (a static call with the signature's
/// selector), for a handful of their signatures, the legacy `uint`/`int` spellings included.
library Console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function send(bytes memory payload) internal view {
        (bool ok, ) = CONSOLE.staticcall(payload);
        ok;
    }

    function log() internal view {
        send(abi.encodeWithSignature("log()"));
    }

    function log(string memory a) internal view {
        send(abi.encodeWithSignature("log(string)", a));
    }

    function log(uint256 a) internal view {
        send(abi.encodeWithSignature("log(uint256)", a));
    }

    function log(string memory a, uint256 b) internal view {
        send(abi.encodeWithSignature("log(string,uint256)", a, b));
    }

    function log(string memory a, int256 b) internal view {
        send(abi.encodeWithSignature("log(string,int256)", a, b));
    }

    function log(string memory a, address b) internal view {
        send(abi.encodeWithSignature("log(string,address)", a, b));
    }

    function log(string memory a, bool b) internal view {
        send(abi.encodeWithSignature("log(string,bool)", a, b));
    }

    function log(string memory a, uint256 b, string memory c) internal view {
        send(abi.encodeWithSignature("log(string,uint256,string)", a, b, c));
    }

    function log(uint256 a, string memory b, bool c, address d) internal view {
        send(abi.encodeWithSignature("log(uint256,string,bool,address)", a, b, c, d));
    }

    /// Hardhat's console.sol before 2.x spelled the types `uint` and `int`: other selectors.
    function logLegacy(string memory a, uint256 b) internal view {
        send(abi.encodeWithSignature("log(string,uint)", a, b));
    }

    function logLegacyInt(int256 a) internal view {
        send(abi.encodeWithSignature("log(int)", a));
    }

    function logBytes(bytes memory a) internal view {
        send(abi.encodeWithSignature("log(bytes)", a));
    }

    function logBytes4(bytes4 a) internal view {
        send(abi.encodeWithSignature("log(bytes4)", a));
    }
}

contract ConsoleCallee {
    error TooBig(uint256 limit, uint256 got);

    event Total(uint256 total);

    uint256 public total;

    function add(uint256 amount) external returns (uint256) {
        Console.log("callee add %s", amount);
        if (amount > 100) revert TooBig(100, amount);
        total += amount;
        emit Total(total);
        return total;
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }
}

contract ConsoleDemo {
    event Added(address indexed sender, uint256 amount);

    ConsoleCallee public callee;

    constructor() payable {
        callee = new ConsoleCallee();
        Console.log("deployed callee at %s", address(callee));
    }

    function logAll() external view {
        Console.log();
        Console.log("plain");
        Console.log(42);
        Console.log("%s%% done, %d left", uint256(99));
        Console.log("signed %i", int256(-5));
        Console.log("sender %s", msg.sender);
        Console.log("flag", true);
        Console.log("%18e ether %s", 1500000000000000000, "sent");
        Console.log(7, "items", false, address(this));
        Console.logLegacy("legacy %d", uint256(3));
        Console.logLegacyInt(-7);
        Console.logBytes(hex"00ff10");
        Console.logBytes4(0xdeadbeef);
    }

    function logThenRevert() external view {
        Console.log("before the revert");
        revert("stopped here");
    }

    function callAdd(uint256 amount) external returns (uint256) {
        Console.log("calling add(%d)", amount);
        emit Added(msg.sender, amount);
        return callee.add(amount);
    }

    function tryAdd(uint256 amount) external returns (bool) {
        try callee.add(amount) returns (uint256) {
            return true;
        } catch {
            Console.log("add failed");
            return false;
        }
    }

    function divide(uint256 a, uint256 b) external view returns (uint256) {
        return callee.divide(a, b);
    }

    function unknownConsole() external view {
        Console.send(hex"deadbeef01");
    }

    function pay(address payable to) external payable {
        to.transfer(msg.value);
    }

    function create(uint256 salt) external returns (address) {
        return address(new ConsoleCallee{salt: bytes32(salt)}());
    }
}
