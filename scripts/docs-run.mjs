// Runs a TypeScript docs script without a build step: transpiles the script and every module it
// imports (TypeScript's transpileModule; the type check is `npm run typecheck`, which reaches these
// scripts through test/docs) into node_modules/.cache/docs-run, then calls its render function.
// Usage: node scripts/docs-run.mjs reference   → writes docs/protocol-reference.md
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JOBS = {
  reference: { entry: 'scripts/docs-reference.ts', render: 'renderProtocolReference', out: 'docs/protocol-reference.md' },
};
const job = JOBS[process.argv[2] ?? ''];
if (!job) {
  console.error(`usage: node scripts/docs-run.mjs <${Object.keys(JOBS).join('|')}>`);
  process.exit(2);
}
const cache = join(root, 'node_modules', '.cache', 'docs-run');
rmSync(cache, { recursive: true, force: true });
const seen = new Set();
const queue = [join(root, job.entry)];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const ref of ts.preProcessFile(source, true, true).importedFiles) {
    if (ref.fileName.startsWith('.')) queue.push(resolve(dirname(file), ref.fileName.replace(/\.js$/, '.ts')));
  }
  const { outputText } = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  });
  const target = join(cache, relative(root, file).replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, outputText);
}
// The transpiled tree needs package resolution (binary-parser) from the project's node_modules.
writeFileSync(join(cache, 'package.json'), JSON.stringify({ type: 'module' }));
const mod = await import(pathToFileURL(join(cache, job.entry.replace(/\.ts$/, '.js'))).href);
const text = mod[job.render]();
writeFileSync(join(root, job.out), text);
console.log(`wrote ${job.out} (${text.length} characters)`);
