#!/usr/bin/env node
// Builds the capture helper (src/capture/helper -> dist/helper/tsfalco-capture-helper).
// As npm's install script it never fails the install: without the toolchain or BTF it says
// what to install and exits 0 (`tsfalco capture` then explains the same). With --strict
// (npm run build:helper) a missing tool or a failed build is an error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const PACKAGES = 'clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config';

function say(msg) {
  process.stderr.write(`tsfalco: ${msg}\n`);
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (process.platform !== 'linux') {
  say('the capture helper is built on Linux only; tsfalco capture is unavailable here (everything else works)');
  process.exit(strict ? 1 : 0);
}
const missing = [];
for (const [cmd, pkg] of [['clang', 'clang'], ['bpftool', 'bpftool'], ['make', 'make'], ['pkg-config', 'pkg-config'], ['cc', 'gcc']]) {
  if (!has(cmd)) missing.push(pkg);
}
if (has('pkg-config') && spawnSync('pkg-config', ['--exists', 'libbpf']).status !== 0) missing.push('libbpf-dev');
for (const [header, pkg] of [['/usr/include/libelf.h', 'libelf-dev'], ['/usr/include/zlib.h', 'zlib1g-dev']]) {
  if (!existsSync(header)) missing.push(pkg);
}
if (missing.length) {
  say(`capture helper not built: missing ${missing.join(', ')}. Install with: apt-get install -y ${PACKAGES} && npm run build:helper`);
  process.exit(strict ? 1 : 0);
}
if (!existsSync('/sys/kernel/btf/vmlinux')) {
  say('capture helper not built: this kernel has no BTF (/sys/kernel/btf/vmlinux), which the helper needs (CONFIG_DEBUG_INFO_BTF=y)');
  process.exit(strict ? 1 : 0);
}
// OUT relative to the helper's folder: make cannot handle a target path with spaces, and a clone
// may live below one ("/home/me/My Projects/tsfalco"); nothing below the clone has any.
const helperDir = join(root, 'src/capture/helper');
const r = spawnSync('make', ['-s', '-C', helperDir, `OUT=${relative(helperDir, join(root, 'dist/helper'))}`], { stdio: 'inherit' });
if (r.status !== 0) {
  say('capture helper build failed (see above); tsfalco capture will be unavailable until "npm run build:helper" succeeds');
  process.exit(strict ? 1 : 0);
}
say(`capture helper built: ${join('dist', 'helper', 'tsfalco-capture-helper')}`);
