import { setFlagsFromString } from 'node:v8';

/**
 * V8 hands a function to its optimizing compiler (TurboFan) once about 66 KB of its bytecode
 * has run. Loading rules runs a lot of code once or a few times (YAML, the condition parser, the
 * checker, code generation); with the default budget V8 spends ~60 ms of a ~330 ms cold load
 * optimizing code that is finished before the optimized version pays off. Six times the budget
 * keeps run-once code in the interpreter and baseline tiers; replay's per-event loop still
 * reaches TurboFan within its first milliseconds (replay events/s unchanged; measured in
 * src/rules/README.md and by `npm run bench:rules`, which compares both settings).
 */
export const INTERRUPT_BUDGET = 400_000;

/** Sets the budget for this process (and its worker threads). Call it before loading code. */
export function tuneTieringForShortLoads(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
