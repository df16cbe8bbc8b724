/**
 * `evt.arg.NAME`, `evt.rawarg.NAME`, `evt.arg[N]` and `evt.args`: the event's parameters as
 * libsinsp lists and renders them (see event-args.ts).
 */
export { argRaw, argText, argsText } from './event-args.js';
