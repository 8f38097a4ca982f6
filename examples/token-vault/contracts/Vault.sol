// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {console} from "./console.sol";

interface IERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// A vault for one token: deposits mint shares in proportion to the assets held, and each
/// deposit locks its owner's withdrawals for LOCK_TIME. Tips in ether go to the owner.
contract Vault {
    IERC20 public immutable asset;
    address public immutable owner;
    uint256 public constant LOCK_TIME = 1 days;

    uint256 public totalShares;
    mapping(address => uint256) public sharesOf;
    mapping(address => uint256) public unlockedAt;

    event Deposit(address indexed owner, uint256 assets, uint256 shares);
    event Withdraw(address indexed owner, uint256 assets, uint256 shares);
    event Tipped(address indexed from, uint256 amount);

    error ZeroAmount();
    error Locked(uint256 until);
    error InsufficientShares(uint256 available, uint256 required);
    error NotOwner(address caller);

    constructor(IERC20 asset_) {
        asset = asset_;
        owner = msg.sender;
    }

    function totalAssets() public view returns (uint256) {
        return asset.balanceOf(address(this));
    }

    function previewDeposit(uint256 assets) public view returns (uint256) {
        uint256 held = totalAssets();
        return totalShares == 0 || held == 0 ? assets : (assets * totalShares) / held;
    }

    function previewWithdraw(uint256 shares) public view returns (uint256) {
        return totalShares == 0 ? 0 : (shares * totalAssets()) / totalShares;
    }

    function deposit(uint256 assets) external returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        shares = previewDeposit(assets);
        if (shares == 0) revert ZeroAmount();
        totalShares += shares;
        sharesOf[msg.sender] += shares;
        unlockedAt[msg.sender] = block.timestamp + LOCK_TIME;
        asset.transferFrom(msg.sender, address(this), assets);
        console.log("deposit, shares:", shares);
        emit Deposit(msg.sender, assets, shares);
    }

    function withdraw(uint256 shares) external returns (uint256 assets) {
        if (shares == 0) revert ZeroAmount();
        if (block.timestamp < unlockedAt[msg.sender]) revert Locked(unlockedAt[msg.sender]);
        uint256 available = sharesOf[msg.sender];
        if (available < shares) revert InsufficientShares(available, shares);
        assets = previewWithdraw(shares);
        sharesOf[msg.sender] = available - shares;
        totalShares -= shares;
        asset.transfer(msg.sender, assets);
        console.log("withdraw to", msg.sender);
        emit Withdraw(msg.sender, assets, shares);
    }

    function tip() external payable {
        if (msg.value == 0) revert ZeroAmount();
        emit Tipped(msg.sender, msg.value);
    }

    function sweep() external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        (bool ok, ) = owner.call{value: address(this).balance}("");
        require(ok, "sweep failed");
    }
}
