// SPDX-License-Identifier: MIT
// Contracts for pyeth.testing's own tests: every ABI shape the harness must handle (overloads,
// structs, arrays, payable, fallback and receive, custom errors, panics), the block values a
// cheat changes, and calls between contracts for call trees.
pragma solidity ^0.8.28;

contract Shapes {
    struct Point {
        uint256 x;
        int64 y;
        address owner;
    }

    struct Path {
        string name;
        Point[] points;
    }

    error Unauthorized(address caller, uint256 needed);
    error Empty();

    event Stored(address indexed who, uint256 indexed key, string note, bytes32 tag);
    event Moved(Point point);
    event Tagged(string indexed label, uint256[] values);
    event Paid(address indexed from, uint256 value, bytes data);
    event Anon(uint256 indexed a, uint256 b) anonymous;

    uint256 public stored;
    address public owner;
    uint256[] public list;
    uint256 public received;
    bytes public lastData;

    constructor(address owner_) payable {
        owner = owner_;
    }

    // Overloads.
    function pick(uint256 a) external pure returns (string memory) {
        a;
        return "uint256";
    }

    function pick(address a) external pure returns (string memory) {
        a;
        return "address";
    }

    function pick(uint256 a, uint256 b) external pure returns (uint256) {
        return a + b;
    }

    function pick(string calldata a) external pure returns (string memory) {
        return a;
    }

    // Structs and arrays.
    function echoPoint(Point calldata p) external pure returns (Point memory) {
        return p;
    }

    function pathLength(Path calldata path) external pure returns (string memory, uint256) {
        return (path.name, path.points.length);
    }

    function sum(uint256[] calldata values) external pure returns (uint256 total) {
        for (uint256 i = 0; i < values.length; i++) total += values[i];
    }

    function fixedPair(address[2] calldata pair) external pure returns (address, address) {
        return (pair[1], pair[0]);
    }

    function many() external view returns (uint256, bool, bytes32, address, int8) {
        return (stored, true, bytes32(uint256(0xabc)), owner, -5);
    }

    function words() external pure returns (string[] memory out) {
        out = new string[](2);
        out[0] = "hello";
        out[1] = "world";
    }

    function push(uint256 value) external {
        list.push(value);
    }

    // Writes, events, errors.
    function store(uint256 key, string calldata note) external returns (uint256) {
        stored = key;
        emit Stored(msg.sender, key, note, keccak256(bytes(note)));
        return key * 2;
    }

    function move(Point calldata p) external {
        emit Moved(p);
    }

    function tag(string calldata label, uint256[] calldata values) external {
        emit Tagged(label, values);
    }

    function anon(uint256 a, uint256 b) external {
        emit Anon(a, b);
    }

    function onlyOwner(uint256 needed) external view returns (bool) {
        if (msg.sender != owner) revert Unauthorized(msg.sender, needed);
        return true;
    }

    function empty() external pure {
        revert Empty();
    }

    function fail(string calldata reason) external pure {
        require(false, reason);
    }

    function bare() external pure {
        revert();
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b; // panic 0x12 on zero
    }

    function underflow(uint256 a) external pure returns (uint256) {
        return a - 1; // panic 0x11 on zero
    }

    function index(uint256 i) external view returns (uint256) {
        return list[i]; // panic 0x32 past the end
    }

    function assertion() external pure {
        assert(false); // panic 0x01
    }

    function burn() external view returns (uint256 spent) {
        uint256 start = gasleft();
        while (gasleft() > 1000) {
            spent += 1;
        }
        spent = start;
    }

    // Value.
    function deposit() external payable returns (uint256) {
        received += msg.value;
        emit Paid(msg.sender, msg.value, "");
        return received;
    }

    receive() external payable {
        received += msg.value;
        emit Paid(msg.sender, msg.value, "");
    }

    fallback() external payable {
        lastData = msg.data;
        emit Paid(msg.sender, msg.value, msg.data);
    }

    // The environment the cheats change.
    function env()
        external
        view
        returns (uint256 number, uint256 timestamp, address sender, address origin, uint256 chainId)
    {
        return (block.number, block.timestamp, msg.sender, tx.origin, block.chainid);
    }

    function parentHash() external view returns (bytes32) {
        return blockhash(block.number - 1);
    }

    function hashOf(uint256 number) external view returns (bytes32) {
        return blockhash(number);
    }
}

contract Caller {
    event Called(address target, bool ok);

    function callStore(Shapes target, uint256 key) external returns (uint256) {
        uint256 result = target.store(key, "via caller");
        emit Called(address(target), true);
        return result;
    }

    function callFail(Shapes target) external {
        target.fail("inner failure");
    }

    function whoCalls(Shapes target) external view returns (address sender, address origin) {
        (, , sender, origin, ) = target.env();
    }
}

// An ERC-20 whose balances live past other state (not at slot 0 or 1), for deal_erc20.
contract OffsetToken {
    uint256[7] private padding;
    string public name = "Offset";
    uint256 public totalSupply;
    mapping(address => uint256) private balances;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balances[msg.sender] = supply;
    }

    function balanceOf(address who) external view returns (uint256) {
        return balances[who];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        balances[msg.sender] -= value;
        balances[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}

// A balance computed, not stored: deal_erc20 must say it cannot set it.
contract ComputedBalance {
    function balanceOf(address who) external pure returns (uint256) {
        return uint256(uint160(who)) % 1000;
    }
}
