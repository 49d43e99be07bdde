// load.mjs — loads each XForm given on the command line into ODK's own engine
// (@getodk/xforms-engine, the engine of ODK Web Forms) and prints its questions.
// Exit 1 if any form fails to load. Used by tests/cli/t_xform.sh.
import { loadEngine } from './engine.mjs';
import fs from 'node:fs';
const { createInstance } = await loadEngine();
let bad = 0;
for (const file of process.argv.slice(2)) {
  try {
    const inst = await createInstance(fs.readFileSync(file, 'utf8'));
    let n = 0;
    (function walk(node) { n++; for (const c of node.currentState.children ?? []) walk(c); })(inst.root);
    console.log(`${file}: ${n} nodes, languages ${inst.root.languages.map((l) => l.language).join(' ')}`);
  } catch (err) {
    bad = 1;
    console.log(`${file}: ${err.message}`);
  }
}
process.exit(bad);
