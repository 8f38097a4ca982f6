// viem, unmodified, against a node at RPC_URL (HTTP; the WebSocket is the same port): deploy
// the test ERC-20, simulate, estimate and send a transfer, read Transfer events through
// eth_getLogs, a filter (eth_newFilter/eth_getFilterChanges) and a WebSocket subscription
// (watchContractEvent over the webSocket transport: eth_subscribe "logs"), see revert reasons
// arrive as viem's ContractFunctionRevertedError, send from a node-held account, wait for
// receipts, and drive the dev methods through viem's test actions (mode "anvil"). Exits non-zero with the reason on the first failed check; prints a JSON summary.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  verifyMessage,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

const { version } = createRequire(import.meta.url)("viem/package.json");
const url = process.env.RPC_URL;
const wsUrl = url.replace(/^http/, "ws");
const step = (name) => console.error(`step: ${name}`); // shown when a check fails
const { abi, bytecode } = JSON.parse(
  readFileSync(new URL("../rpc/contracts/Token.json", import.meta.url), "utf8"),
);
const owner = privateKeyToAccount(
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
);
const alice = privateKeyToAccount(
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
);
const NODE_ACCOUNT = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"; // account 3, unlocked there

const chain = defineChain({
  id: 1337,
  name: "dev",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [url], webSocket: [wsUrl] } },
});
const client = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
const wsClient = createPublicClient({ chain, transport: webSocket(wsUrl) });
const wallet = createWalletClient({ account: owner, chain, transport: http(url) });
const aliceWallet = createWalletClient({ account: alice, chain, transport: http(url) });
assert.equal(await client.getChainId(), 1337);
assert.equal(await client.getBalance({ address: alice.address, blockTag: "earliest" }), 10n ** 22n);

step("deploy");
const supply = 10n ** 24n;
const deployHash = await wallet.deployContract({ abi, bytecode, args: [supply] });
const deployReceipt = await client.waitForTransactionReceipt({ hash: deployHash, timeout: 10000 });
assert.equal(deployReceipt.status, "success");
const address = deployReceipt.contractAddress;
const token = { address, abi };
assert.equal(await client.readContract({ ...token, functionName: "totalSupply" }), supply);
assert.equal(await client.readContract({ ...token, functionName: "symbol" }), "TT");

step("listeners");
const filter = await client.createContractEventFilter({ ...token, eventName: "Transfer" });
const subscribed = [];
let subscriptionError = null;
const unwatch = wsClient.watchContractEvent({
  ...token,
  eventName: "Transfer",
  onLogs: (logs) => subscribed.push(...logs),
  onError: (error) => {
    subscriptionError = error;
  },
});

step("transfers");
// viem subscribes in the background, so the first transfer may come before the subscription
// is in place: transfer until it has seen one.
const sent = [];
for (let round = 0; round < 20 && subscribed.length === 0; round++) {
  const args = [alice.address, 100n];
  const estimate = await client.estimateContractGas({
    ...token,
    functionName: "transfer",
    args,
    account: owner,
  });
  assert.ok(estimate > 30000n && estimate < 100000n, `estimate ${estimate}`);
  const { request, result } = await client.simulateContract({
    ...token,
    functionName: "transfer",
    args,
    account: owner,
  });
  assert.equal(result, true);
  const hash = await wallet.writeContract(request);
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10000 });
  assert.equal(receipt.status, "success");
  assert.ok(receipt.gasUsed <= estimate, `gas used ${receipt.gasUsed} > estimate ${estimate}`);
  sent.push(hash);
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && subscribed.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
assert.equal(subscriptionError, null);
unwatch();
assert.ok(subscribed.length > 0, "no Transfer through the subscription");
const expected = { from: owner.address, to: alice.address, value: 100n };
for (const log of subscribed) {
  assert.ok(sent.includes(log.transactionHash), `subscription: unknown ${log.transactionHash}`);
  assert.deepEqual(log.args, expected);
}
const changes = await client.getFilterChanges({ filter });
assert.deepEqual(
  changes.map((log) => [log.transactionHash, log.args]),
  sent.map((hash) => [hash, expected]),
);
assert.deepEqual(await client.getFilterChanges({ filter }), []);
assert.equal(await client.uninstallFilter({ filter }), true);

step("eth_getLogs");
const logs = await client.getContractEvents({ ...token, eventName: "Transfer", fromBlock: 0n });
assert.deepEqual(
  logs.map((log) => [log.transactionHash, log.args.to, log.args.value]),
  [
    [deployHash, owner.address, supply],
    ...sent.map((hash) => [hash, alice.address, 100n]),
  ],
);
const toAlice = await client.getContractEvents({
  ...token,
  eventName: "Transfer",
  args: { to: alice.address },
  fromBlock: 0n,
});
assert.equal(toAlice.length, sent.length);

step("reverts");
const reverted = (check) => (error) => {
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  assert.ok(revert, `not a ContractFunctionRevertedError: ${error.message}`);
  check(revert);
  return true;
};
const tooMuch = { ...token, functionName: "transfer", args: [owner.address, 10n ** 30n] };
const insufficient = reverted((revert) => assert.equal(revert.reason, "insufficient balance"));
await assert.rejects(client.simulateContract({ ...tooMuch, account: alice }), insufficient);
await assert.rejects(client.estimateContractGas({ ...tooMuch, account: alice }), insufficient);
await assert.rejects(aliceWallet.writeContract(tooMuch), insufficient);
await assert.rejects(
  client.readContract({ ...token, functionName: "boom" }),
  reverted((revert) => {
    assert.equal(revert.data.errorName, "Boom");
    assert.deepEqual(revert.data.args, [42n]);
  }),
);
// Mined anyway (gas given): the receipt says reverted.
const failing = await aliceWallet.writeContract({ ...tooMuch, gas: 100000n });
const failed = await client.waitForTransactionReceipt({ hash: failing, timeout: 10000 });
assert.equal(failed.status, "reverted");

step("node account");
const nodeWallet = createWalletClient({ account: NODE_ACCOUNT, chain, transport: http(url) });
const before = await client.getBalance({ address: alice.address });
const plain = await nodeWallet.sendTransaction({ to: alice.address, value: 12345n });
const plainReceipt = await client.waitForTransactionReceipt({ hash: plain, timeout: 10000 });
assert.equal(plainReceipt.status, "success");
assert.equal(plainReceipt.from, NODE_ACCOUNT.toLowerCase());
assert.equal(await client.getBalance({ address: alice.address }), before + 12345n);
const signature = await nodeWallet.signMessage({ message: "hello" });
assert.ok(await verifyMessage({ address: NODE_ACCOUNT, message: "hello", signature }));

step("test actions");
const testClient = createTestClient({ chain, mode: "anvil", transport: http(url) });
const edited = "0x000000000000000000000000000000000000be03";
assert.equal(await testClient.getAutomine(), true);
const snapshotId = await testClient.snapshot();
await testClient.setBalance({ address: edited, value: 5n * 10n ** 18n });
assert.equal(await client.getBalance({ address: edited }), 5n * 10n ** 18n);
// PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns its storage slot 0
await testClient.setCode({ address: edited, bytecode: "0x60005460005260206000f3" });
const word = `0x${"2a".padStart(64, "0")}`;
await testClient.setStorageAt({ address: edited, index: 0, value: word });
assert.equal(await client.getStorageAt({ address: edited, slot: "0x0" }), word);
assert.equal((await client.call({ to: edited })).data, word);
await testClient.impersonateAccount({ address: edited });
const asEdited = createWalletClient({ account: edited, chain, transport: http(url) });
const impersonated = await asEdited.sendTransaction({ to: alice.address, value: 1n });
const impersonatedReceipt = await client.waitForTransactionReceipt({ hash: impersonated });
assert.equal(impersonatedReceipt.status, "success");
assert.equal(impersonatedReceipt.from, edited);
await testClient.stopImpersonatingAccount({ address: edited });
await testClient.setNonce({ address: alice.address, nonce: 1000 });
assert.equal(await client.getTransactionCount({ address: alice.address }), 1000);
const height = await client.getBlockNumber();
await testClient.mine({ blocks: 3 });
assert.equal(await client.getBlockNumber({ cacheTime: 0 }), height + 3n);
await testClient.revert({ id: snapshotId });
assert.equal(await client.getBalance({ address: edited }), 0n);
assert.equal(await client.getBytecode({ address: edited }), undefined);
assert.notEqual(await client.getTransactionCount({ address: alice.address }), 1000);

console.log(JSON.stringify({ client: "viem", version, token: address, transfers: sent.length }));
process.exit(0); // the WebSocket client's keep-alive timer would hold the process open
