import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const MAX_LINES = 400;
// Layers below the HTTP edge: they are driven by it, and must not know it.
const BELOW_HTTP = ['domain', 'smtp', 'delivery', 'hooks', 'store', 'secrets'];
// Libraries that only adapters may use: a port that reaches one is no longer apart from its implementation.
const ADAPTER_PACKAGES = ['kysely', 'pg', 'libsql', 'nodemailer'];
const PORT_DECLARATION = /^export interface (\w+Store|DeliveryTransport)\b/m;

// Static `import`/`export ... from`, side-effect imports and `import('...')`; `import type` counts too,
// since a cycle of types is still a cycle a reader has to untangle.
const IMPORT_FROM =
  /^\s*(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\}|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s+from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

interface SourceFile {
  /** Relative to the repository root, with forward slashes. */
  name: string;
  text: string;
  /** Files of src/ it imports. */
  imports: string[];
  /** Packages it imports (`node:` built-ins left out). */
  packages: string[];
  /** Relative specifiers that name no file. */
  unresolved: string[];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function nameOf(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function readSource(): Map<string, SourceFile> {
  const files = new Map<string, SourceFile>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const specifiers = [IMPORT_FROM, SIDE_EFFECT_IMPORT, DYNAMIC_IMPORT].flatMap((pattern) =>
      [...text.matchAll(pattern)].map((match) => match[1]),
    );
    const parsed: SourceFile = { name: nameOf(file), text, imports: [], packages: [], unresolved: [] };
    for (const specifier of new Set(specifiers)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target) parsed.imports.push(nameOf(target));
        else parsed.unresolved.push(specifier);
      } else if (!specifier.startsWith('node:') && !parsed.packages.includes(packageOf(specifier))) {
        parsed.packages.push(packageOf(specifier));
      }
    }
    files.set(parsed.name, parsed);
  }
  return files;
}

/** Strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function importCycles(files: Map<string, SourceFile>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;

  function visit(name: string): void {
    index.set(name, counter);
    lowLink.set(name, counter);
    counter++;
    stack.push(name);
    onStack.add(name);
    for (const next of files.get(name)?.imports ?? []) {
      if (!files.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        lowLink.set(name, Math.min(lowLink.get(name)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(name, Math.min(lowLink.get(name)!, index.get(next)!));
      }
    }
    if (lowLink.get(name) !== index.get(name)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== name);
    if (component.length > 1 || files.get(name)!.imports.includes(name)) cycles.push(component.sort());
  }

  for (const name of [...files.keys()].sort()) if (!index.has(name)) visit(name);
  return cycles;
}

/** Every src/ file reachable from `start` through imports, `start` included. */
function reachable(files: Map<string, SourceFile>, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const next of files.get(queue.shift()!)?.imports ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

function listed(offenders: string[]): string {
  return `\n  ${offenders.join('\n  ')}\n`;
}

describe('architecture of src/', () => {
  const files = readSource();

  it('reads the imports it checks: every relative import names a file', () => {
    const edges = [...files.values()].reduce((sum, file) => sum + file.imports.length, 0);
    assert.ok(files.size > 50 && edges > files.size, `only ${edges} imports read from ${files.size} files`);
    assert.ok(files.get('src/app.ts')?.imports.length, 'the imports of src/app.ts are read');
    const unresolved = [...files.values()].flatMap((file) => file.unresolved.map((s) => `${file.name} -> ${s}`));
    assert.deepEqual(unresolved, [], `imports naming no file:${listed(unresolved)}`);
  });

  it('has no import cycles', () => {
    const cycles = importCycles(files).map((cycle) => {
      const ties = cycle.flatMap((from) =>
        files
          .get(from)!
          .imports.filter((to) => cycle.includes(to))
          .map((to) => `${from} -> ${to}`),
      );
      return `${cycle.join(', ')} (${ties.join('; ')})`;
    });
    assert.deepEqual(cycles, [], `import cycles:${listed(cycles)}`);
  });

  it(`has nothing in ${BELOW_HTTP.join(', ')} that imports the HTTP edge`, () => {
    const offenders = [...files.values()]
      .filter((file) => BELOW_HTTP.some((layer) => file.name.startsWith(`src/${layer}/`)))
      .flatMap((file) =>
        file.imports.filter((target) => target.startsWith('src/http/')).map((target) => `${file.name} -> ${target}`),
      );
    assert.deepEqual(offenders, [], `imports of src/http/ from a lower layer:${listed(offenders)}`);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const offenders = [...files.values()]
      .map((file) => ({ name: file.name, lines: file.text.split('\n').length - (file.text.endsWith('\n') ? 1 : 0) }))
      .filter((file) => file.lines > MAX_LINES)
      .map((file) => `${file.name}: ${file.lines} lines`);
    assert.deepEqual(offenders, [], `files over ${MAX_LINES} lines:${listed(offenders)}`);
  });

  it('keeps ports apart from implementations: no port reaches a database or SMTP library', () => {
    const ports = [...files.values()].filter((file) => PORT_DECLARATION.test(file.text));
    assert.ok(
      ports.some((port) => port.name === 'src/store/store.ts'),
      'the store port is recognised as a port',
    );
    const offenders = ports.flatMap((port) =>
      [...reachable(files, port.name)].flatMap((name) =>
        files
          .get(name)!
          .packages.filter((pkg) => ADAPTER_PACKAGES.includes(pkg))
          .map((pkg) => `${port.name}${name === port.name ? '' : ` (through ${name})`} -> ${pkg}`),
      ),
    );
    assert.deepEqual(offenders, [], `ports that reach an adapter library:${listed(offenders)}`);
  });
});
