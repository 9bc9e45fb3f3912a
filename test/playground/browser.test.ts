/**
 * The playground in headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * is downloaded). Builds the page, serves it on 127.0.0.1, runs the 2015 poster's session by typing
 * the commands into the page and checks the terminal text against the same session run in Node.
 * That the page runs at all proves the core reaches no Node-only module.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundSession, POSTER_CONFIG, POSTER_SESSION } from '../../playground/session.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/playground/browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);

const ROOT = resolve(import.meta.dirname, '../..');
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' };

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ok({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
  }));
}

describe.skipIf(!hasChromium)(`playground in headless Chromium (skipped when ${CHROMIUM} is absent)`, () => {
  let dir = '';
  let profileDir = '';
  let server: Server | undefined;
  let url = '';
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netvsc-playground-'));
    profileDir = mkdtempSync(join(tmpdir(), 'netvsc-chromium-'));
    // Build the page and start the browser at the same time.
    const build = promisify(execFile)(process.execPath, [join(ROOT, 'playground', 'build.mjs'), dir]);
    const { chromium } = await import('playwright-core');
    const launch = chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    [, context] = await Promise.all([build, launch]);
    ({ server, url } = await serve(dir));
  }, 25_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    for (const d of [dir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('runs the 2015 poster session typed into the page, with the output Node prints', async () => {
    if (!context) throw new Error('Chromium did not start');
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    expect(problems).toEqual([]);

    // The 2015 machine, booted from the form.
    await page.fill('#vcpus', String(POSTER_CONFIG.vcpus));
    await page.fill('#queues', String(POSTER_CONFIG.hostQueues));
    await page.selectOption('#profile', POSTER_CONFIG.profile);
    await page.selectOption('#style', POSTER_CONFIG.ethtool);
    await page.click('#boot');
    expect(await page.textContent('#status')).toContain('booted: 8 vCPUs');
    for (const line of POSTER_SESSION) {
      await page.fill('#command', line);
      await page.press('#command', 'Enter');
    }
    const shown = (await page.textContent('#terminal')) ?? '';

    const node = new PlaygroundSession(POSTER_CONFIG);
    const expected = POSTER_SESSION.map((l) => node.run(l).transcript).join('');
    expect(shown).toBe(expected);
    // The story itself, in the words ethtool printed.
    expect(shown).toContain('$ ethtool -l eth0\nChannel parameters for eth0:\nPre-set maximums:');
    expect(shown).toContain('combined unmodified, ignoring\nno channel parameters changed, aborting\n');
    expect(shown).toContain('$ ethtool -L eth0 combined 0\nCannot set device channel parameters: Invalid argument\n');
    expect(shown.trimEnd().endsWith('Combined:\t1')).toBe(true);
    // The exchange pane: the boot plus one table per command, the first -L with a detach/attach.
    const headings = await page.$$eval('#exchange h3', (hs) => hs.map((h) => h.textContent ?? ''));
    expect(headings).toEqual(['boot (netvsc probe)', ...POSTER_SESSION.map((l, i) => `${l} → exit ${node.history[i]!.status}`)]);
    expect(await page.textContent('#exchange')).toContain('detach/attach cycles 1');
    // Packet by packet: the decoded records the trace floor made, the same number as in Node.
    const perSection = await page.$$eval('#exchange section', (ss) => ss.map((s) => s.querySelectorAll('.packets details').length));
    expect(perSection).toEqual([node.bootPackets().length, ...node.history.map((r) => r.packets.length)]);
    expect(perSection[2]).toBeGreaterThan(0);
    // Opening a packet shows its decoded fields and bytes.
    await page.click('#exchange section:nth-of-type(3) .packets details summary');
    expect(await page.textContent('#exchange section:nth-of-type(3) .packets details pre')).toContain('bytes (');

    // The poster button runs the same session from scratch.
    await page.click('#poster');
    expect(await page.textContent('#terminal')).toBe(expected);
    expect(problems).toEqual([]);
  }, 25_000);
});
