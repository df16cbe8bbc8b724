/**
 * scripts/fetch-upstream.sh without a network: a `curl` first on PATH serves each pinned URL from
 * the upstream folder the tests already use (mapping the URL to the file it must become), so the
 * script's URL list, its layout and its SHA-256 sums are checked against the very copies the tests
 * were written against.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';
import { capture, FALCO_CAPTURES, FALCO_RULES, UPSTREAM_DIR, upstreamPath, upstreamSuite } from '../helpers/upstream.js';

const SCRIPT = join(ROOT, 'scripts', 'fetch-upstream.sh');
const STORED = [...FALCO_RULES, ...FALCO_CAPTURES.map(capture)];

const tmp = tempDir('tsfalco-fetch-');
afterAll(tmp.cleanup);

/**
 * The stand-in curl: logs each URL to $STUB_LOG, fails for a URL ending in $STUB_FAIL, appends a
 * byte for one ending in $STUB_CORRUPT. Wireshark's .scap.gz is served gzipped once more than our
 * copy, so the script's gunzip step is taken.
 */
const CURL = `#!/bin/sh
out=; prev=; url=
for a; do [ "$prev" = -o ] && out=$a; prev=$a; url=$a; done
echo "$url" >> "$STUB_LOG"
case "$url" in *"\${STUB_FAIL:-//none}") exit 22 ;; esac
name=\${url##*/}
case "$url" in
  */rules/*) src=falco-rules/$name ;;
  */trace_files/*) src=fixtures/scap/$name ;;
  *.scap.gz) src=fixtures/scap/libs_\${name%.gz} ;;
  */captures/*) src=fixtures/scap/libs_$name ;;
  *) exit 22 ;;
esac
case "$url" in
  *.gz) gzip -c "$STUB_SRC/$src" > "$out" ;;
  *) cp "$STUB_SRC/$src" "$out" ;;
esac
case "$url" in *"\${STUB_CORRUPT:-//none}") echo x >> "$out" ;; esac
`;
const stubBin = join(tmp.dir, 'bin');
mkdirSync(stubBin);
writeFileSync(join(stubBin, 'curl'), CURL, { mode: 0o755 });

function fetchInto(dir: string, env: Record<string, string> = {}) {
  const log = join(tmp.dir, `curl-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = spawnSync('bash', [SCRIPT, dir], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${stubBin}:${process.env.PATH}`, STUB_SRC: UPSTREAM_DIR, STUB_LOG: log, ...env },
  });
  return { ...r, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string, sub = ''): string[] {
  if (!existsSync(join(dir, sub))) return [];
  return readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(sub, e.name)) : [join(sub, e.name)]));
}

describe('scripts/fetch-upstream.sh', () => {
  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n', SCRIPT], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

upstreamSuite('scripts/fetch-upstream.sh with a stand-in curl', STORED, () => {
  it('fetches every pinned file into the layout the tests read, each equal to our copy; a second run downloads nothing', () => {
    const dir = join(tmp.dir, 'fresh');
    const r = fetchInto(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.urls).toHaveLength(STORED.length);
    for (const url of r.urls) expect(url, 'a pinned commit or tag').toMatch(/^https:\/\/raw\.githubusercontent\.com\/[\w-]+\/[\w-]+\/([0-9a-f]{40}|0\.33\.1)\//);
    expect(filesUnder(dir).sort()).toEqual([...STORED].sort());
    for (const f of STORED) expect(readFileSync(join(dir, f)).equals(readFileSync(upstreamPath(f))), f).toBe(true);
    const again = fetchInto(dir);
    expect(again.status).toBe(0);
    expect(again.urls).toEqual([]);
  });

  it('refuses a download whose sum is wrong: names the file and both sums, leaves nothing under its name, still fetches the rest', () => {
    const dir = join(tmp.dir, 'corrupt');
    const r = fetchInto(dir, { STUB_CORRUPT: '/cat_write.scap' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fixtures\/scap\/cat_write\.scap: wrong SHA-256 for https:\S+\/cat_write\.scap: expected 149a61ac[0-9a-f]{56}, got [0-9a-f]{64}\n/);
    expect(r.stderr).toMatch(/1 of 13 files could not be fetched/);
    expect(filesUnder(dir).sort()).toEqual(STORED.filter((f) => f !== capture('cat_write.scap')).sort());
  });

  it('reports a failed download with its URL and leaves no partial file', () => {
    const dir = join(tmp.dir, 'offline');
    const r = fetchInto(dir, { STUB_FAIL: '/falco_rules.yaml' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/falco-rules\/falco_rules\.yaml: download failed: https:\S+\/rules\/falco_rules\.yaml\n/);
    expect(filesUnder(dir)).not.toContain(FALCO_RULES[0]);
    expect(filesUnder(dir).filter((f) => f.includes('.part'))).toEqual([]);
  });
});
