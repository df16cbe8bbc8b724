import { parentPort, workerData } from 'node:worker_threads';
import type { OutputMessage } from '../outputs/index.js';
import { isUserError } from '../util/errors.js';
import { type ReplayRequest, replayOneTrace, rulesFor } from './replay-run.js';

/** A replay worker thread: loads the rules once, replays the traces it was given, posts their lines back. */
const { req, indices } = workerData as { req: ReplayRequest; indices: number[] };
try {
  const rules = rulesFor(req);
  for (const index of indices) {
    const lines: OutputMessage[] = [];
    const result = replayOneTrace(req, rules, req.traces[index], (message) => lines.push(message), false);
    parentPort!.postMessage({ index, result, lines });
  }
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message, userError: isUserError(err) });
}
