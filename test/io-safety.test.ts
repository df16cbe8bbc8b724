import { spawnSync } from 'node:child_process';
import { rmSync, chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagErrorLine } from '../src/cli/base-command.js';
import { ioError } from '../src/util/io-errors.js';
import { toJson } from '../src/util/json.js';
import { BIN, ROOT, STACK_LINE, tempDir, tsfalco } from './helpers/cli.js';

/**
 * Issue #11: every filesystem error is one line `tsfalco: FILE: what failed: reason`, exit 1,
 * no stack trace; files are replaced, never written through; JSON and flag errors are escaped.
 */

const DEMO = join(ROOT, 'fixtures', 'demo.arrow');
const IS_ROOT = process.getuid?.() === 0;
const sh = (script: string) => spawnSync('sh', ['-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const run = (args: string[]) => `${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}`;

/** Runs tsfalco with its stdout on /dev/full. */
function toFullDisk(args: string[]) {
  const fd = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

describe('writing to stdout', () => {
  for (const args of [
    ['replay', DEMO],
    ['replay', DEMO, '--filter', 'proc.name!=x'],
    ['replay', DEMO, '--json'],
    ['trace', 'info', DEMO],
    ['rules', 'list'],
    ['rules', 'list', '--json'],
  ]) {
    it(`on a full disk: one line, exit 1 (${args.slice(0, 2).join(' ')} ${args.slice(2).filter((a) => a.startsWith('-')).join(' ')})`, () => {
      const r = toFullDisk(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('tsfalco: stdout: write failed: no space left on device\n');
      expect(r.stderr).not.toMatch(STACK_LINE);
    });
  }

  it('into a pipe closed early (| head -1): ends quietly, no trace', () => {
    const r = spawnSync('bash', ['-c', `${run(['replay', DEMO, '--filter', 'proc.name!=x'])} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^status=(0|141)$/m);
    expect(r.stderr).toBe('');
  });
});

describe('file_output', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  const withFile = (filename: string, extra: string[] = []) => ['replay', DEMO, '--no-summary', '-o', 'file_output.enabled=true', '-o', `file_output.filename=${filename}`, ...extra];

  it('names the file it cannot open, with the reason, before replaying', () => {
    const r = tsfalco(withFile('/nonexistent/x'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsfalco: /nonexistent/x: cannot open for appending alerts: no such file or directory\n');
    expect(r.stdout).toBe('');
    const d = tsfalco(withFile(dir));
    expect(d.stderr).toBe(`tsfalco: ${dir}: cannot open for appending alerts: is a directory\n`);
  });

  it('refuses to append through a symbolic link', () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'keep\n');
    symlinkSync(target, join(dir, 'link.txt'));
    const r = tsfalco(withFile(join(dir, 'link.txt')));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsfalco: ${join(dir, 'link.txt')}: cannot open for appending alerts: is a symbolic link (refusing to follow it)\n`);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });

  it('creates its file 0600 whatever the umask, and appends to an existing one', () => {
    const file = join(dir, 'alerts.txt');
    const r = sh(`umask 000; ${run(withFile(file))} >/dev/null`);
    expect(r.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    expect(lines).toBeGreaterThan(0);
    sh(`umask 000; ${run(withFile(file))} >/dev/null`);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean).length).toBe(2 * lines);
  });
});

describe('convert', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it('--force replaces a symbolic link, never writing through it', () => {
    const target = join(dir, 'precious.arrow');
    writeFileSync(target, 'precious\n');
    symlinkSync('precious.arrow', join(dir, 'link.scap'));
    const r = tsfalco(['convert', DEMO, join(dir, 'link.scap'), '--force']);
    expect(r.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'link.scap')).isSymbolicLink()).toBe(false);
    expect(statSync(join(dir, 'link.scap')).size).toBeGreaterThan(1000);
  });

  it('--force onto a 0644 file: the new file is 0600, no temporary file is left', () => {
    const out = join(dir, 'shared.arrow');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o644);
    const r = sh(`umask 000; ${run(['convert', DEMO, out, '--force'])}`);
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout).not.toMatch(/\.tmp/);
  });

  it('without --force refuses an existing file, naming it', () => {
    const out = join(dir, 'exists.arrow');
    writeFileSync(out, 'x');
    const r = tsfalco(['convert', DEMO, out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsfalco: ${out}: already exists (use --force to overwrite it)\n`);
  });
});

const rootOnly = IS_ROOT ? describe : describe.skip;
rootOnly(`on a small or read-only file system${IS_ROOT ? '' : ' (skipped: mounting a tmpfs needs root)'}`, () => {
  let dir: string;
  let cleanup: () => void;
  let mnt: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    mnt = join(dir, 'small');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status).toBe(0);
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(40 << 10)); // 24 KiB left: less than either output
  });
  afterAll(() => {
    spawnSync('umount', [mnt]);
    cleanup();
  });

  for (const name of ['out.arrow', 'out.scap']) {
    it(`convert to ${name} on a full disk: one line, no incomplete output; --force leaves the old file whole`, () => {
      const r = tsfalco(['convert', DEMO, join(mnt, name)]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`tsfalco: ${join(mnt, name)}: write failed: no space left on device (the incomplete output was removed)\n`);
      expect(existsSync(join(mnt, name))).toBe(false);
      writeFileSync(join(mnt, name), 'old\n');
      const f = tsfalco(['convert', DEMO, join(mnt, name), '--force']);
      expect(f.status).toBe(1);
      expect(f.stderr).toBe(`tsfalco: ${join(mnt, name)}: write failed: no space left on device (${join(mnt, name)} is unchanged)\n`);
      expect(readFileSync(join(mnt, name), 'utf8')).toBe('old\n');
      expect(spawnSync('ls', ['-A', mnt], { encoding: 'utf8' }).stdout.trim().split('\n')).toEqual(['filler', name]);
      rmSync(join(mnt, name));
    });
  }

  it('trace repair on a read-only file system: one line, the file untouched', () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', ro]).status).toBe(0);
    try {
      const cut = readFileSync(DEMO).subarray(0, 40_000);
      writeFileSync(join(ro, 't.arrow'), cut);
      expect(spawnSync('mount', ['-o', 'remount,ro', ro]).status).toBe(0);
      const r = tsfalco(['trace', 'repair', join(ro, 't.arrow')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`tsfalco: ${join(ro, 't.arrow')}: cannot repair in place: read-only file system\n`);
      expect(readFileSync(join(ro, 't.arrow')).equals(cut)).toBe(true);
    } finally {
      spawnSync('umount', [ro]);
    }
  });

  it('file_output on a read-only file system: one line naming the file', () => {
    const ro = join(dir, 'ro2');
    mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro]).status).toBe(0);
    try {
      const r = tsfalco(['replay', DEMO, '-o', 'file_output.enabled=true', '-o', `file_output.filename=${join(ro, 'a.txt')}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`tsfalco: ${join(ro, 'a.txt')}: cannot open for appending alerts: read-only file system\n`);
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});

describe('escapes', () => {
  it('the JSON writer escapes DEL, C1 and U+2028/U+2029, and JSON.parse gives the string back', () => {
    const text = 'a\u0007b\u007fc\u009b31md\u0085e\u2028f\u2029g\u001b[0m';
    const json = toJson({ text });
    expect(json).toBe('{"text":"a\\u0007b\\u007fc\\u009b31md\\u0085e\\u2028f\\u2029g\\u001b[0m"}');
    // eslint-disable-next-line no-control-regex
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ text });
  });

  describe('in --json outputs', () => {
    let dir: string;
    let cleanup: () => void;
    let rules: string;
    const RAW = /[\u007f-\u009f]/;
    beforeAll(() => {
      ({ dir, cleanup } = tempDir());
      rules = join(dir, 'c1.yaml');
      writeFileSync(rules, `- rule: C1 \u009b rule\n  desc: "DEL \u007f and CSI \u009b31m"\n  condition: evt.type = execve\n  output: "csi \u009b31m del \u007f proc=%proc.name"\n  priority: WARNING\n`);
    });
    afterAll(() => cleanup());

    it('replay --json alerts', () => {
      const r = tsfalco(['replay', DEMO, '-r', rules, '--json', '--no-summary']);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(r.stdout).not.toMatch(RAW);
      expect(r.stdout).toContain('\\u009b31m');
      expect((JSON.parse(lines[0]) as { rule: string }).rule).toBe('C1 \u009b rule');
    });

    it('rules list --json', () => {
      const r = tsfalco(['rules', 'list', '-r', rules, '--json']);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(RAW);
      expect(r.stdout).toContain('\\u007f');
      expect(JSON.stringify(JSON.parse(r.stdout))).toContain('DEL \u007f and CSI \u009b31m');
    });
  });

  it('an unknown flag: one sanitised line, exit 1', () => {
    const r = tsfalco(['replay', DEMO, '--x\u001b[31m']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsfalco: unknown flag --x\\x1b[31m (see tsfalco replay --help)\n');
  });

  it('flag error lines', () => {
    expect(flagErrorLine('Nonexistent flag: --nope\nSee more help with --help')).toBe('unknown flag --nope');
    expect(flagErrorLine('Missing 1 required arg:\ntrace  trace file to repair in place\nSee more help with --help')).toBe('missing 1 required arg: trace  trace file to repair in place');
  });
});

describe('ioError', () => {
  it('is FILE: ACTION: reason in words', () => {
    const err = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', syscall: 'write', errno: -28 });
    expect(ioError(err, 'out.arrow', 'write failed').message).toBe('out.arrow: write failed: no space left on device');
    const odd = Object.assign(new Error("EWEIRD: something odd happened, open '/x'"), { code: 'EWEIRD', syscall: 'open' });
    expect(ioError(odd, '/x', 'cannot open').message).toBe('/x: cannot open: something odd happened');
  });
});

describe('inputs that are not regular files', () => {
  const tmp = tempDir('tsfalco-nonreg-');
  const fifo = join(tmp.dir, 'in.fifo');
  beforeAll(() => {
    // a FIFO with no writer: opening it for reading would block
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  });
  afterAll(tmp.cleanup);

  const cases: [string, string[], RegExp][] = [
    ['a FIFO as a trace', ['replay', fifo], new RegExp(`tsfalco: ${fifo}: is a FIFO \\(named pipe\\), not a regular file`)],
    ['a FIFO as a rules file', ['rules', 'validate', fifo], new RegExp(`Could not read rules file ${fifo}: is a FIFO \\(named pipe\\), not a regular file`)],
    ['/dev/zero as a rules file', ['rules', 'validate', '/dev/zero'], /Could not read rules file \/dev\/zero: is a character device, not a regular file/],
    ['/dev/urandom as -r', ['replay', DEMO, '-r', '/dev/urandom'], /Could not read rules file \/dev\/urandom: is a character device, not a regular file/],
    ['/dev/zero as -c', ['replay', DEMO, '-c', '/dev/zero'], /Error reading config file \(\/dev\/zero\): is a character device, not a regular file/],
    ['/dev/zero as a trace', ['trace', 'info', '/dev/zero'], /tsfalco: \/dev\/zero: is a character device, not a regular file/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what} at once, in one line naming it`, () => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.error, 'it must not hang or be killed').toBeUndefined();
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK_LINE);
      // the error is the last line (replay first says which rules it loads, as Falco does)
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1]).toMatch(message);
      expect(lines.filter((l) => message.test(l))).toHaveLength(1);
    });
  }
});

describe('errors name the option at fault', () => {
  it('a --filter that does not parse: the column it fails at, with a caret under it', () => {
    const r = tsfalco(['replay', DEMO, '--filter', 'proc.name = x and (']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tsfalco: --filter: column 20: expected a '(' token, a field check, or an identifier\n  proc.name = x and (\n                     ^\n");
  });

  it('a --filter with an unknown field or macro: the column of its name, with a caret; control characters escaped', () => {
    const r = tsfalco(['replay', DEMO, '--filter', 'evt.type=open and nope.x=\x1b[31m']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsfalco: --filter: column 19: filter_check called with nonexistent field nope.x\n  evt.type=open and nope.x=\\x1b[31m\n                    ^\n');
    const m = tsfalco(['replay', DEMO, '--filter', 'evt.type=open and not my_macro']);
    expect(m.stderr).toBe("tsfalco: --filter: column 23: Undefined macro 'my_macro' used in filter.\n  evt.type=open and not my_macro\n                        ^\n");
  });

  it('a long --filter shows a window around the place', () => {
    const filter = `${'proc.name=x and '.repeat(20)}(`;
    const r = tsfalco(['replay', DEMO, '--filter', filter]);
    const [, text, caret] = r.stderr.split('\n');
    expect(text.startsWith('  …')).toBe(true);
    expect(caret.indexOf('^')).toBe(text.length); // just after the last character shown, the '(' being at the end
  });

  it('an unsatisfied plugin requirement names the rules file that asks for it', () => {
    const tmp = tempDir('tsfalco-plugreq-');
    try {
      const file = join(tmp.dir, 'needs-cloudtrail.yaml');
      writeFileSync(file, '- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n');
      const r = tsfalco(['rules', 'validate', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`tsfalco: Plugin requirement not satisfied, must load one of: cloudtrail (>= 0.1.0) (required by ${file}:2)\n`);
    } finally {
      tmp.cleanup();
    }
  });

  it('an unknown field in -p is the -p option\'s, with or without --filter', () => {
    for (const args of [['--filter', 'proc.name = x', '-p', '%nope.field'], ['-p', '%nope.field']]) {
      const r = tsfalco(['replay', DEMO, ...args]);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1]).toBe('tsfalco: -p: invalid formatting token nope.field');
      expect(r.stderr).not.toContain('tsfalco_rules.yaml: Invalid');
    }
  });
});
