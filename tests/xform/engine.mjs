// engine.mjs — ODK's XForms engine (@getodk/xforms-engine) in Node: the engine expects a browser
// DOM, so jsdom provides one; its bundled tree-sitter loader reads __dirname and module, which
// an ES module lacks. Nothing here evaluates a form: the engine does.
import { JSDOM } from 'jsdom';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export async function loadEngine() {
  const dom = new JSDOM('');
  for (const k of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'document', 'Text',
    'Attr', 'XPathResult', 'NodeFilter', 'XMLDocument', 'DocumentFragment']) globalThis[k] = dom.window[k];
  globalThis.__dirname = path.dirname(fileURLToPath(import.meta.url)) + '/';
  globalThis.module = { exports: {} };
  return import('@getodk/xforms-engine');
}

// Every node of an instance by its reference (/data/group/name, repeat instances /data/m[1]/x).
export function nodesByRef(root) {
  const out = new Map();
  (function walk(node) {
    out.set(node.currentState.reference, node);
    for (const c of node.currentState.children ?? []) walk(c);
  })(root);
  return out;
}
