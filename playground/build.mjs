// Builds the playground page: walks the imports from playground/app.ts through src/, transpiles
// every module it reaches to JavaScript (TypeScript's transpileModule: one file at a time, no type
// check — `npm run playground:build` type-checks first with playground/tsconfig.json), and copies
// the page and binary-parser's ESM build beside it. Any import other than a relative one or
// `binary-parser` stops the build: the page must not reach a Node-only module.
// Usage: node playground/build.mjs [outDir]   (default dist-playground/)
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist-playground'));
const BARE_ALLOWED = new Set(['binary-parser']);

const seen = new Set();
const queue = [join(root, 'playground', 'app.ts')];
const errors = [];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(source, true, true);
  for (const ref of info.importedFiles) {
    const spec = ref.fileName;
    if (spec.startsWith('.')) {
      // NodeNext style: `./x.js` names the compiled file; its source is `./x.ts`.
      queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    } else if (!BARE_ALLOWED.has(spec)) {
      errors.push(`${relative(root, file)} imports '${spec}', which a browser page cannot load`);
    }
  }
}
if (errors.length > 0) {
  console.error(`playground: build stopped\n  ${errors.join('\n  ')}`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
for (const file of seen) {
  const rel = relative(root, file).replace(/\.ts$/, '.js');
  const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  });
  if (diagnostics && diagnostics.length > 0) {
    console.error(`playground: ${relative(root, file)}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n')}`);
    process.exit(1);
  }
  const target = join(out, 'js', rel);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, outputText);
}
mkdirSync(join(out, 'vendor'), { recursive: true });
copyFileSync(join(root, 'playground', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'node_modules', 'binary-parser', 'dist', 'esm', 'binary_parser.mjs'), join(out, 'vendor', 'binary_parser.mjs'));
console.log(`playground: ${seen.size} modules built into ${relative(process.cwd(), out) || '.'} — serve that folder over HTTP and open index.html`);
