// Message lookup for the node files. Node-RED's RED._ resolves keys from nodes/locales/<lang>/<catalog>.json;
// where no catalog is loaded (node-red-node-test-helper's RED._ returns the key itself) the en-US text is used,
// so an error reaching a Catch node is always a sentence, never a bare key.
import * as fs from 'fs';
import * as path from 'path';
import type { NodeAPI } from 'node-red';

export type Catalog = { [key: string]: string | Catalog };
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export function translator(RED: NodeAPI, catalogName: string): Translate {
  const fallback = catalogTranslator(readCatalog('en-US', catalogName));
  return (key, vars = {}) => {
    const translated = RED._(key, vars);
    if (translated && translated !== key) return translated;
    return fallback(key, vars);
  };
}

/** One language's catalog as shipped in nodes/locales/<lang>/<catalog>.json. */
export function readCatalog(lang: string, catalogName: string): Catalog {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'locales', lang, `${catalogName}.json`), 'utf8')) as Catalog;
}

/** Lookup in one catalog (the key itself when it has no such message). */
export function catalogTranslator(catalog: Catalog): Translate {
  return (key, vars = {}) => {
    const template = lookup(catalog, key);
    return template === undefined ? key : interpolate(template, vars);
  };
}

function lookup(catalog: Catalog, key: string): string | undefined {
  let node: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Same placeholder syntax as Node-RED's i18n: __name__. */
function interpolate(template: string, vars: Record<string, string | number>): string {
  return template.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
