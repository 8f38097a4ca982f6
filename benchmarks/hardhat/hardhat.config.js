// Hardhat's node as benchmarks/rpc.py starts it: its defaults (the standard test mnemonic's
// accounts with 10,000 ETH each, automine), with pyeth's and anvil's chain id.
module.exports = {
  networks: { hardhat: { chainId: 1337 } },
};
