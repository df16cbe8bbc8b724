import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../util/errors.js';
import { type ReplayRequest, replayOneTrace, rulesFor } from './replay-run.js';

/** A replay worker thread: loads the rules once, replays the traces it was given, posts their lines back. */
const { req, indices } = workerData as { req: ReplayRequest; indices: number[] };
try {
  const rules = rulesFor(req);
  for (const index of indices) {
    const lines: string[] = [];
    const result = replayOneTrace(req, rules, req.traces[index], (line) => lines.push(line), false);
    parentPort!.postMessage({ index, result, lines });
  }
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message, userError: isUserError(err) });
}
