// Compiles ConsoleDemo.sol into ConsoleDemo.json (ABI, creation and runtime bytecode of each
// contract) with solc-js. Run from the repository root:
//   npm install --no-save solc@0.8.28 && node tests/unit/testing/contracts/compile_console.js
const solc = require("solc");
const fs = require("fs");
const path = require("path");
const here = __dirname;
const source = fs.readFileSync(path.join(here, "ConsoleDemo.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "ConsoleDemo.sol": { content: source } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const error of output.errors || []) {
  console.error(error.formattedMessage);
  failed = failed || error.severity === "error";
}
if (failed) process.exit(1);
const contracts = {};
for (const [name, contract] of Object.entries(output.contracts["ConsoleDemo.sol"])) {
  if (contract.abi.length === 0) continue; // the library: inlined, nothing to deploy
  contracts[name] = {
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  };
}
const artifact = { compiler: "solc " + solc.version(), contracts };
fs.writeFileSync(path.join(here, "ConsoleDemo.json"), JSON.stringify(artifact, null, 1) + "\n");
