// Compiles contracts/*.sol with solc-js into the two artefact shapes pyeth reads:
//   out/<File>.sol/<Contract>.json  Foundry's layout (abi, bytecode, deployedBytecode with source maps,
//                                   methodIdentifiers, metadata's compilationTarget, the source id)
//   standard-json/output.json       solc's standard-JSON output for every contract
// Run from this folder: (cd /tmp && npm install --no-save solc@0.8.28) && NODE_PATH=/tmp/node_modules node compile.js
const solc = require("solc");
const fs = require("fs");
const path = require("path");

const here = __dirname;
const contracts = path.join(here, "contracts");
const sources = {};
for (const file of fs.readdirSync(contracts).sort()) {
  if (file.endsWith(".sol")) {
    sources[file] = { content: fs.readFileSync(path.join(contracts, file), "utf8") };
  }
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: {
      "*": {
        "*": [
          "abi",
          "evm.bytecode.object",
          "evm.bytecode.sourceMap",
          "evm.deployedBytecode.object",
          "evm.deployedBytecode.sourceMap",
          "evm.methodIdentifiers",
        ],
      },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const error of output.errors || []) {
  console.error(error.formattedMessage);
  failed = failed || error.severity === "error";
}
if (failed) process.exit(1);

const write = (file, value) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 1) + "\n");
};
output.compiler = "solc " + solc.version();
write(path.join(here, "standard-json", "output.json"), output);
for (const [file, compiled] of Object.entries(output.contracts)) {
  for (const [name, contract] of Object.entries(compiled)) {
    // console (a library inlined into its users) and interfaces have nothing to deploy
    if (contract.abi.length === 0 || !contract.evm.bytecode.object) continue;
    write(path.join(here, "out", file, name + ".json"), {
      abi: contract.abi,
      bytecode: { object: "0x" + contract.evm.bytecode.object, sourceMap: contract.evm.bytecode.sourceMap },
      deployedBytecode: {
        object: "0x" + contract.evm.deployedBytecode.object,
        sourceMap: contract.evm.deployedBytecode.sourceMap,
      },
      methodIdentifiers: contract.evm.methodIdentifiers,
      // Foundry's source id and compilation target: what coverage maps the source map's
      // file ids through (this artefact's own file; its imports' ids are not named here)
      metadata: {
        compiler: { version: solc.version() },
        settings: { compilationTarget: { [file]: name } },
      },
      id: output.sources[file].id,
    });
  }
}
