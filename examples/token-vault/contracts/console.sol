// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Minimal console.log for tests: a static call to the console address with the calldata
/// Hardhat's and forge-std's console.sol send, so pyeth (or any harness that decodes those)
/// prints the line. On a real chain the address holds no code and the call does nothing.
library console {
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function _send(bytes memory payload) private view {
        (bool ok, ) = CONSOLE.staticcall(payload);
        ok; // a console line must never change what the contract does
    }

    function log(string memory text) internal view {
        _send(abi.encodeWithSignature("log(string)", text));
    }

    function log(string memory text, uint256 value) internal view {
        _send(abi.encodeWithSignature("log(string,uint256)", text, value));
    }

    function log(string memory text, address value) internal view {
        _send(abi.encodeWithSignature("log(string,address)", text, value));
    }
}
