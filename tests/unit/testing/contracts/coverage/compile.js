// Compiles Branchy.sol (no optimizer, so each statement keeps its own instructions) into
//   Branchy.standard.json   solc's standard-JSON output with the runtime source map and the
//                           source ids (the source itself is read from Branchy.sol beside it)
//   Branchy.build-info.json Hardhat's build-info shape: solc's input (with the source text)
//                           and output together
// for the coverage tests. Run from the repository root:
//   (cd /tmp && npm install --no-save solc@0.8.28) && NODE_PATH=/tmp/node_modules \
//     node tests/unit/testing/contracts/coverage/compile.js
const solc = require("solc");
const fs = require("fs");
const path = require("path");
const here = __dirname;
const input = {
  language: "Solidity",
  sources: { "Branchy.sol": { content: fs.readFileSync(path.join(here, "Branchy.sol"), "utf8") } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: false },
    outputSelection: {
      "*": {
        "*": [
          "abi",
          "evm.bytecode.object",
          "evm.deployedBytecode.object",
          "evm.deployedBytecode.sourceMap",
          "evm.deployedBytecode.immutableReferences",
        ],
      },
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
fs.writeFileSync(path.join(here, "Branchy.standard.json"), JSON.stringify(output, null, 1) + "\n");
const buildInfo = {
  _format: "hh-sol-build-info-1",
  solcVersion: solc.version(),
  input,
  output,
};
fs.writeFileSync(path.join(here, "Branchy.build-info.json"), JSON.stringify(buildInfo) + "\n");
