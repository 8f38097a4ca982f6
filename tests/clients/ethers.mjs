// ethers v6, unmodified, against a node at RPC_URL (HTTP; the WebSocket is the same port):
// deploy the test ERC-20, estimate and send a transfer, read Transfer events through
// eth_getLogs, a filter (ethers polls eth_newFilter/eth_getFilterChanges for contract.on over
// HTTP) and a WebSocket subscription (eth_subscribe "logs"), see revert reasons arrive as
// ethers' CALL_EXCEPTION errors, send from a node-held account, and wait for receipts.
// Exits non-zero with the reason on the first failed check; prints a JSON summary otherwise.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const url = process.env.RPC_URL;
const step = (name) => console.error(`step: ${name}`); // shown when a check fails
const wsUrl = url.replace(/^http/, "ws");
const { abi, bytecode } = JSON.parse(
  readFileSync(new URL("../rpc/contracts/Token.json", import.meta.url), "utf8"),
);
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

// ethers answers a request repeated within 250 ms from a cache by default, so on any automining
// node (anvil and Hardhat too) a nonce or block number read right after a mined transaction
// can be stale; the documented cacheTimeout turns that off.
const provider = new ethers.JsonRpcProvider(url, undefined, { pollingInterval: 50, cacheTimeout: -1 });
const owner = new ethers.Wallet(KEY0, provider);
const alice = new ethers.Wallet(KEY1, provider);
assert.equal((await provider.getNetwork()).chainId, 1337n);
assert.equal(owner.address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
assert.equal(await provider.getBalance(alice.address, "earliest"), 10n ** 22n);

step("deploy");
// Deploy (signed here, eth_sendRawTransaction) and wait for the receipt.
const supply = 10n ** 24n;
const token = await new ethers.ContractFactory(abi, bytecode, owner).deploy(supply);
const deployReceipt = await token.deploymentTransaction().wait();
assert.equal(deployReceipt.status, 1);
const address = await token.getAddress();
assert.equal(address, deployReceipt.contractAddress);
assert.equal(await token.totalSupply(), supply);
assert.equal(await token.name(), "Test Token");

step("listeners");
// Listeners before the transfers: over HTTP a filter, over the WebSocket a subscription.
const wsProvider = new ethers.WebSocketProvider(wsUrl);
const wsToken = new ethers.Contract(address, abi, wsProvider);
const seen = { filter: [], subscription: [] };
const record = (where) => (from, to, value, payload) =>
  seen[where].push({ from, to, value, hash: payload.log.transactionHash });
await token.on("Transfer", record("filter"));
await wsToken.on("Transfer", record("subscription"));

step("transfers");
// Estimate, send, wait; repeated until both listeners saw a transfer (ethers installs the
// filter and the subscription in the background, so the first transfer may come before them).
const sent = [];
for (let round = 0; round < 20 && !(seen.filter.length && seen.subscription.length); round++) {
  const estimate = await token.transfer.estimateGas(alice.address, 100n);
  assert.ok(estimate > 30000n && estimate < 100000n, `estimate ${estimate}`);
  const tx = await token.transfer(alice.address, 100n);
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  assert.ok(receipt.gasUsed <= estimate, `gas used ${receipt.gasUsed} > estimate ${estimate}`);
  assert.equal(receipt.logs.length, 1);
  assert.equal(token.interface.parseLog(receipt.logs[0]).args.value, 100n);
  sent.push(tx.hash);
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && !(seen.filter.length && seen.subscription.length)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
for (const where of ["filter", "subscription"]) {
  assert.ok(seen[where].length > 0, `no Transfer through the ${where}`);
  for (const event of seen[where]) {
    assert.ok(sent.includes(event.hash), `${where}: unknown transaction ${event.hash}`);
    assert.equal(event.from, owner.address);
    assert.equal(event.to, alice.address);
    assert.equal(event.value, 100n);
  }
}
await token.removeAllListeners();
await wsToken.removeAllListeners();
await wsProvider.destroy();
assert.equal(await token.balanceOf(alice.address), 100n * BigInt(sent.length));

step("eth_getLogs");
// eth_getLogs: the mint and every transfer, in order.
const logs = await token.queryFilter(token.filters.Transfer(), 0, "latest");
assert.deepEqual(
  logs.map((log) => [log.args.to, log.args.value, log.transactionHash]),
  [
    [owner.address, supply, deployReceipt.hash],
    ...sent.map((hash) => [alice.address, 100n, hash]),
  ],
);
const toAlice = await token.queryFilter(token.filters.Transfer(null, alice.address));
assert.equal(toAlice.length, sent.length);

step("reverts");
// Reverts: a reason string and a custom error, from eth_call and from eth_estimateGas.
const isReason = (reason) => (error) => {
  assert.equal(error.code, "CALL_EXCEPTION", error.message);
  assert.equal(error.reason, reason);
  return true;
};
const tooMuch = 10n ** 30n;
await assert.rejects(
  token.connect(alice).transfer.staticCall(owner.address, tooMuch),
  isReason("insufficient balance"),
);
await assert.rejects(
  token.connect(alice).transfer(owner.address, tooMuch),
  isReason("insufficient balance"),
);
await assert.rejects(token.boom(), (error) => {
  assert.equal(error.code, "CALL_EXCEPTION", error.message);
  assert.equal(error.revert.name, "Boom");
  assert.deepEqual([...error.revert.args], [42n]);
  return true;
});
step("mined revert");
// A reverting transaction mined anyway (gas given, so nothing estimates it first).
const failing = await token.connect(alice).transfer(owner.address, tooMuch, { gasLimit: 100000 });
await assert.rejects(failing.wait(), (error) => {
  assert.equal(error.code, "CALL_EXCEPTION", error.message);
  assert.equal(error.receipt.status, 0);
  return true;
});

step("node account");
// A node-held account: ethers' JsonRpcSigner sends eth_sendTransaction.
const nodeSigner = await provider.getSigner(2);
const before = await provider.getBalance(alice.address);
const plain = await nodeSigner.sendTransaction({ to: alice.address, value: 12345n });
const plainReceipt = await provider.waitForTransaction(plain.hash, 1, 10000);
assert.equal(plainReceipt.status, 1);
assert.equal(plainReceipt.gasUsed, 21000n);
assert.equal(await provider.getBalance(alice.address), before + 12345n);
const signature = await nodeSigner.signMessage("hello");
assert.equal(ethers.verifyMessage("hello", signature), await nodeSigner.getAddress());

provider.destroy();
console.log(
  JSON.stringify({ client: "ethers", version: ethers.version, token: address, transfers: sent.length }),
);
