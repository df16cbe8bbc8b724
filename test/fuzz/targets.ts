import { arrowTarget } from './targets-arrow.js';
import { scapTargets } from './targets-scap.js';
import { textTargets } from './targets-text.js';
import type { FuzzTarget } from './types.js';

/** Every fuzz target, in the order a run takes them. */
export const TARGETS: FuzzTarget[] = [arrowTarget, ...scapTargets, ...textTargets];
