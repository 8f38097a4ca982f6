// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

contract Branchy {
    uint256 public total;
    uint256 public immutable start;

    constructor(uint256 first) {
        start = first;
    }

    function pick(bool big) external returns (uint256) {
        if (big) {
            total = start + 100;
        } else {
            total = 1;
        }
        return total;
    }

    function sum(uint256 n) external returns (uint256 acc) {
        for (uint256 i = 0; i < n; i++) {
            acc += i;
        }
        total = acc;
    }
}
