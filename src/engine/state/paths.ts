import type { FdInfo } from './types.js';

/**
 * Path handling as libsinsp does it: a relative path is joined to the directory it is relative
 * to (cwd or a dirfd's path) and normalised (`.`, `..`, repeated slashes) without touching the
 * file system, which the trace cannot show us.
 */
// An absolute path with nothing to normalise, the common case, is returned as it is.
const NEEDS_NORMALISING = /\/\.{0,2}(\/|$)/;

// The last base directory seen, whether it is already normal (an absolute path without `.`,
// `..` or `//`; a working directory ends in `/`, see workingDir), and that directory with its
// trailing slash: relative names come in runs against the same directory.
let lastBase = '';
let lastBaseNormal = false;
let lastBasePrefix = '';

/**
 * A working directory as libsinsp keeps it (sinsp_threadinfo::set_cwd): with a trailing `/`
 * (`/dev/shm/`, `/`), whether it comes from /proc, an execve or a chdir/fchdir. An unknown one
 * (empty) stays unknown.
 */
export function workingDir(dir: string): string {
  return dir === '' || dir.charCodeAt(dir.length - 1) === 47 ? dir : `${dir}/`;
}

function isPlainName(path: string): boolean {
  return path.indexOf('/') < 0 && path !== '.' && path !== '..';
}

export function resolvePath(base: string, path: string): string {
  if (path === '') return base;
  if (path.charCodeAt(0) === 47) {
    if (!NEEDS_NORMALISING.test(path)) return path;
  } else if (isPlainName(path) && base.charCodeAt(0) === 47) {
    // A plain name in a known directory (openat(dirfd, "name") while walking a tree): a join.
    if (base !== lastBase) {
      const slash = base.charCodeAt(base.length - 1) === 47;
      lastBase = base;
      lastBaseNormal = base === '/' || !NEEDS_NORMALISING.test(slash ? base.slice(0, -1) : base);
      lastBasePrefix = slash ? base : `${base}/`;
    }
    if (lastBaseNormal) return lastBasePrefix + path;
  }
  const joined = path.startsWith('/') || base === '' ? path : `${base}/${path}`;
  if (!joined.startsWith('/')) return joined; // no base known: keep it relative
  const out: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** Falco's fd.name of a socket: `cip:cport->sip:sport` (IPv6 addresses as they are). */
export function fdNameOfTuple(fd: FdInfo): string {
  return `${fd.cip}:${fd.cport}->${fd.sip}:${fd.sport}`;
}

/** fd.directory: the directory part of a file fd's name. */
export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  if (i <= 0) return path.startsWith('/') ? '/' : '';
  return path.slice(0, i);
}

/** fd.filename: the last component. */
export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
