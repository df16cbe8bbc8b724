import type { FdInfo } from './types.js';

/**
 * Path handling as libsinsp does it: a relative path is joined to the directory it is relative
 * to (cwd or a dirfd's path) and normalised (`.`, `..`, repeated slashes) without touching the
 * file system, which the trace cannot show us.
 */
// An absolute path with nothing to normalise, the common case, is returned as it is.
const NEEDS_NORMALISING = /\/\.{0,2}(\/|$)/;

export function resolvePath(base: string, path: string): string {
  if (path === '') return base;
  if (path.charCodeAt(0) === 47 && !NEEDS_NORMALISING.test(path)) return path;
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
