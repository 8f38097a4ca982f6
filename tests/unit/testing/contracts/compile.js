// Compiles Harness.sol into one JSON artefact per contract (ABI, creation and runtime bytecode)
// with solc-js, plus Harness.standard.json: solc's standard-JSON output itself.
// Run from the repository root:
//   (cd /tmp && npm install --no-save solc@0.8.28) && NODE_PATH=/tmp/node_modules \
//     node tests/unit/testing/contracts/compile.js
const solc = require("solc");
const fs = require("fs");
const path = require("path");
const here = __dirname;
const source = fs.readFileSync(path.join(here, "Harness.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "Harness.sol": { content: source } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const error of output.errors || []) {
  console.error(error.formattedMessage);
  if (error.severity === "error") failed = true;
}
if (failed) process.exit(1);
for (const [name, contract] of Object.entries(output.contracts["Harness.sol"])) {
  const artifact = {
    compiler: "solc " + solc.version(),
    contractName: name,
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  };
  fs.writeFileSync(path.join(here, name + ".json"), JSON.stringify(artifact, null, 1) + "\n");
}
delete output.sources;
fs.writeFileSync(path.join(here, "Harness.standard.json"), JSON.stringify(output) + "\n");
