import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, STACK_LINE, tempDir, tsfalco } from '../helpers/cli.js';
import { type Seed, walk, withSlot } from './targets-arrow.js';

/**
 * The findings of the fuzzing probe of issue 11 and of test/fuzz, each as its smallest input,
 * through the real executable: one clean `tsfalco: FILE: …` line, exit 1, no stack trace, no
 * JavaScript words, and — for traces — the same verdict from `trace info` and `replay`.
 */

const { dir, cleanup } = tempDir('tsfalco-fuzz-regressions-');
afterAll(cleanup);
let seed: Seed;

beforeAll(() => {
  // The demo capture as this tsfalco writes traces (LZ4 frames with content size and block checksums).
  const out = join(dir, 'seed.arrow');
  const r = tsfalco(['convert', join(ROOT, 'fixtures/demo.arrow'), out]);
  expect(r.status, r.stderr).toBe(0);
  seed = walk(out, new Uint8Array(readFileSync(out)));
  const scap = tsfalco(['convert', join(ROOT, 'fixtures/demo.arrow'), join(dir, 'seed.scap')]);
  expect(scap.status, scap.stderr).toBe(0);
});

const INTERNALS = /TypeError|RangeError|Cannot read propert|is not safe to convert|BigInt|undefined|NaN/;

function expectCleanError(r: { status: number | null; stderr: string }, file: string, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(STACK_LINE);
  const line = r.stderr.split('\n').find((l) => l.startsWith('tsfalco: '));
  expect(line, r.stderr).toBeDefined();
  expect(line).toContain(file);
  expect(line).toMatch(pattern);
  expect(line).not.toMatch(INTERNALS);
}

/** The seed with one numbered field set (`what` names the slot as walk() does: `buffer 3 length`). */
function damaged(name: string, what: RegExp, value: number | bigint | ((honest: number) => number)): string {
  const slot = seed.slots.find((s) => what.test(s.what));
  if (!slot) throw new Error(`no slot ${what} in the seed`);
  const file = join(dir, name);
  writeFileSync(file, withSlot(seed.bytes, slot, typeof value === 'function' ? value(slot.value) : value));
  return file;
}

/** Both commands reject the trace with a clean line matching `pattern`. */
function bothReject(file: string, pattern: RegExp): void {
  expectCleanError(tsfalco(['trace', 'info', file]), file, pattern);
  expectCleanError(tsfalco(['trace', 'info', '--json', file]), file, pattern);
  expectCleanError(tsfalco(['replay', '--no-summary', file]), file, pattern);
}

describe('damaged .arrow traces: one verification for trace info and replay', () => {
  it('an uncompressed length of 2^40 in a buffer prefix (the 1.95 GB blow-up) is refused before anything is allocated', () => {
    bothReject(damaged('prefix.arrow', /^buffer \d+ uncompressed length$/, 2 ** 40), /implausible uncompressed length|content size/);
  });

  it('a 64-bit buffer length past 2^53 gets our words, not "is not safe to convert to a number"', () => {
    bothReject(damaged('len53.arrow', /^buffer 7 length$/, 2n ** 53n + 1n), /outside the .*message body/);
  });

  it('a record batch whose node length differs from the batch length (replay used to read past its columns)', () => {
    bothReject(damaged('node.arrow', /^node 18 length$/, (v) => v * 80), /values in a batch of|buffer/);
  });

  it('an LZ4 block cut to size 0 (a frame replay used to accept)', () => {
    bothReject(damaged('block0.arrow', /LZ4 block 0 size$/, 0), /LZ4|needed/);
  });

  it('one flipped bit inside a compressed block is found by its block checksum, by replay too', () => {
    const slot = seed.slots.find((s) => /LZ4 block 0 size$/.test(s.what) && s.value > 16)!;
    const bytes = seed.bytes.slice();
    bytes[slot.pos + 4 + 8] ^= 0x10; // inside the block's data
    const file = join(dir, 'bit.arrow');
    writeFileSync(file, bytes);
    bothReject(file, /checksum mismatch/);
  });

  it('a dictionary id changed (dictionary code undefined out of range / localeCompare of null)', () => {
    bothReject(damaged('dict.arrow', /^dictionary id$/, 12), /dictionary/);
  });

  it('a message whose flatbuffer offsets point outside it ("unexpected message type undefined")', () => {
    const file = join(dir, 'splice.arrow');
    writeFileSync(file, Buffer.concat([seed.bytes.subarray(0, 15), seed.bytes.subarray(7)]));
    bothReject(file, /no Arrow schema at byte 8: unreadable message header/);
  });

  it('a schema whose column type or name was damaged (BigInt of undefined in replay)', () => {
    // The first field's type: the schema flatbuffer's bytes, flipped where its type table is.
    const bytes = seed.bytes.slice();
    const name = Buffer.from('exe_ino');
    const at = Buffer.from(bytes).indexOf(name);
    bytes[at] = 'X'.charCodeAt(0); // the column is now "Xxe_ino": exe_ino is missing
    const file = join(dir, 'schema.arrow');
    writeFileSync(file, bytes);
    bothReject(file, /damaged trace schema.*"exe_ino" is missing/);
  });
});

describe('.scap.gz: bounded work from bounded input', () => {
  it('an fd list of a million zero entries (17 MB, 17 KB gzipped) is one fd, as in libscap\'s table', () => {
    const scapFile = join(dir, 'seed.scap');
    const scap = new Uint8Array(readFileSync(scapFile));
    const shbEnd = new DataView(scap.buffer).getUint32(4, true);
    const entries = 1_000_000; // fd 0, inode 0, type 0: 17 bytes each
    const block = new Uint8Array(12 + 8 + 17 * entries);
    const view = new DataView(block.buffer);
    view.setUint32(0, 0x203, true);
    view.setUint32(4, block.length, true);
    view.setUint32(block.length - 4, block.length, true);
    const bomb = new Uint8Array(scap.length + block.length);
    bomb.set(scap.subarray(0, shbEnd));
    bomb.set(block, shbEnd);
    bomb.set(scap.subarray(shbEnd), shbEnd + block.length);
    const file = join(dir, 'zeros.scap.gz');
    writeFileSync(file, gzipSync(bomb));
    const r = tsfalco(['trace', 'info', '--json', file]);
    expect(r.status, r.stderr).toBe(0);
    const [info] = JSON.parse(r.stdout) as Array<{ records: number; events: number }>;
    const plain = JSON.parse(tsfalco(['trace', 'info', '--json', scapFile]).stdout) as Array<{ records: number }>;
    expect(info.records).toBe(plain[0].records + 1); // the one fd 0 of thread 0
  });
});

describe('.scap.gz: a block longer than any reader should hold', () => {
  it('a process list declaring 512 MB is refused at its header (it cost ~950 MB and 8-11 s)', () => {
    const scap = new Uint8Array(readFileSync(join(dir, 'seed.scap')));
    const shbEnd = new DataView(scap.buffer).getUint32(4, true);
    const header = new Uint8Array(4096);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x215, true); // a process list, version 9
    view.setUint32(4, 512 << 20, true);
    const file = join(dir, 'declared.scap.gz');
    writeFileSync(file, gzipSync(new Uint8Array([...scap.subarray(0, shbEnd), ...header])));
    expectCleanError(tsfalco(['replay', '--no-summary', file]), file, /claims 536870912 bytes, more than this kind of block can hold/);
  });
});

describe('configuration errors say where the bad value came from', () => {
  const fixture = join(ROOT, 'fixtures/demo-synthetic.arrow');
  it.each([
    ['log_level=#x', /^tsfalco: -o log_level=#x: Unknown log level "#x"/],
    ['rule_matching=x', /^tsfalco: -o rule_matching=x: Unknown rule matching strategy/],
    ['syscall_event_drops.actions[1]=x', /^tsfalco: -o syscall_event_drops.actions\[1\]=x: available actions for syscall event drops/],
    ['append_output[0].suggested_output=~', /^tsfalco: -o append_output\[0\].suggested_output=~: Config error at key "append_output\[0\].suggested_output"/],
    ['engine.replay.capture_file=/nonexistent.scap', /^tsfalco: \/nonexistent.scap: no such file \(the trace of engine.replay.capture_file, set by -o engine.replay.capture_file=\/nonexistent.scap\)/],
  ])('-o %s', (option, pattern) => {
    const r = tsfalco(['replay', '-o', option, '--no-summary', ...(option.startsWith('engine') ? [] : [fixture])]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(pattern);
  });

  it('a bad value in a -c file names the file', () => {
    const file = join(dir, 'falco.yaml');
    writeFileSync(file, 'buffered_outputs: maybe\n');
    const r = tsfalco(['replay', '-c', file, '--no-summary', fixture]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`tsfalco: ${file}: Config error at key "buffered_outputs": expected true or false, got "maybe"`);
  });

  it('a falco.yaml alias bomb is refused at once (it used to take minutes and gigabytes)', () => {
    const file = join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    writeFileSync(file, `${levels.join('\n')}\n`);
    const r = tsfalco(['replay', '-c', file, '--no-summary', fixture]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`tsfalco: Error reading config file (${file}): its aliases expand to more than 1,000,000 nodes`);
  });
});

describe('rules: error reporting is linear', () => {
  it('a condition that is one 300,000-letter word after an appended macro (418 s before: the field-name token backtracked)', () => {
    const file = join(dir, 'word.yaml');
    const rules = [
      '- macro: m',
      '  condition: proc.name=x',
      '- rule: R',
      '  desc: d',
      '  condition: m',
      '  output: o',
      '  priority: WARNING',
      '- rule: R',
      `  condition: ${'a'.repeat(300_000)}`,
      '  append: true',
    ];
    writeFileSync(file, `${rules.join('\n')}\n`);
    const r = tsfalco(['rules', 'validate', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}:9:14: error LOAD_ERR_COMPILE_CONDITION`);
  });
});
