// Compile .ksy files with the Kaitai Struct compiler's JS API (npm kaitai-struct-compiler 0.11).
// Usage: NODE_PATH=build/node/node_modules node ksc_compile.js TARGET OUTDIR FILE.ksy...
// Writes the generated files into OUTDIR and prints their names; any compile error is printed
// on stderr with exit status 1.
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const compiler = require("kaitai-struct-compiler");

async function main() {
  const [target, outDir, ...inputs] = process.argv.slice(2);
  if (!target || !outDir || inputs.length === 0) {
    console.error("usage: ksc_compile.js TARGET OUTDIR FILE.ksy...");
    process.exit(2);
  }
  if (!compiler.languages.includes(target)) {
    console.error(`unknown target ${target}; the compiler knows ${compiler.languages.join(", ")}`);
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const importer = {
    importYaml(name, mode) {
      return Promise.resolve(yaml.load(fs.readFileSync(path.join(path.dirname(inputs[0]), name + ".ksy"), "utf8")));
    },
  };
  for (const input of inputs) {
    const ksy = yaml.load(fs.readFileSync(input, "utf8"));
    let files;
    try {
      files = await compiler.compile(target, ksy, importer, false);
    } catch (err) {
      console.error(`${input}: ${err && err.toString ? err.toString() : JSON.stringify(err)}`);
      process.exit(1);
    }
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(outDir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      console.log(path.relative(outDir, file));
    }
  }
}

main();
