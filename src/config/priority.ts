/**
 * Falco's rule priorities, most severe first. Their index is Falco's numeric priority
 * (0 = Emergency … 7 = Debug); a rule is kept when its index <= the minimum priority's index.
 */
export const PRIORITY_NAMES = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
] as const;

export type PriorityName = (typeof PRIORITY_NAMES)[number];
export type Priority = number;

export const PRIORITY_INFORMATIONAL = 6;
export const PRIORITY_DEBUG = 7;

/**
 * Parses a priority as Falco does: any case of the eight names, plus `info` for Informational
 * (both spellings have long been used). Returns undefined for anything else.
 */
export function parsePriority(text: string): Priority | undefined {
  const t = text.toLowerCase();
  for (let i = 0; i < PRIORITY_NAMES.length; i++) if (PRIORITY_NAMES[i]!.toLowerCase() === t) return i;
  if (t === 'info') return PRIORITY_INFORMATIONAL;
  return undefined;
}

/** The name Falco prints (`Informational`, or `Info` in short form). */
export function formatPriority(p: Priority, short = false): string {
  if (short && p === PRIORITY_INFORMATIONAL) return 'Info';
  return PRIORITY_NAMES[p] ?? String(p);
}
