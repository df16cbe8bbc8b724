/**
 * Engine version checks for `required_engine_version` and plugin version requirements,
 * with libsinsp's semver reading: three dot-separated numbers, anything after them ignored.
 */

/** The Falco rules-engine version tsfalco implements (Falco 0.42's engine accepts the upstream rules). */
export const ENGINE_VERSION = { major: 0, minor: 63, patch: 0 } as const;

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `x.y.z` (trailing text ignored, as sscanf does); undefined if not three numbers. */
export function parseSemver(text: string): Semver | undefined {
  const m = /^\s*\+?(\d+)\.\+?(\d+)\.\+?(\d+)/.exec(text);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![major, minor, patch].every((n) => Number.isSafeInteger(n) && n <= 0xffffffff)) return undefined;
  return { major, minor, patch };
}

export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** libsinsp's compatible_with: same major, and `have` at least `want`. */
export function isCompatible(have: Semver, want: Semver): boolean {
  return have.major === want.major && compareSemver(have, want) >= 0;
}

/** A bare number `N` in `required_engine_version` means `<engine major>.N.<engine patch>`. */
export function implicitEngineVersion(minor: number): Semver {
  return { major: ENGINE_VERSION.major, minor, patch: ENGINE_VERSION.patch };
}
