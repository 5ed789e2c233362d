// The built declarations keep the sources' `.ts` import specifiers; consumers
// resolve `.js` (the emitted files). Rewrite relative `.ts` specifiers in every
// dist/**/*.d.ts to `.js`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? 'dist';
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? walk(path.join(dir, f)) : [path.join(dir, f)]));
let changed = 0;
for (const file of walk(root).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
  if (next !== text) {
    writeFileSync(file, next);
    changed++;
  }
}
console.log(`dts-extensions: ${changed} declaration files rewritten`);
