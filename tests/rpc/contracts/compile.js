// Compiles Token.sol into Token.json (ABI and creation bytecode) with solc-js.
// Run from the repository root: npm install --no-save solc@0.8.28 && node tests/rpc/contracts/compile.js
const solc = require("solc");
const fs = require("fs");
const path = require("path");
const here = __dirname;
const source = fs.readFileSync(path.join(here, "Token.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "Token.sol": { content: source } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
for (const error of output.errors || []) console.error(error.formattedMessage);
const contract = output.contracts["Token.sol"]["Token"];
const artifact = {
  compiler: "solc " + solc.version(),
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
};
fs.writeFileSync(path.join(here, "Token.json"), JSON.stringify(artifact, null, 1) + "\n");
