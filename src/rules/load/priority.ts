/** Falco priorities live in src/config (the `priority` key needs them); re-exported here. */
export * from '../../config/priority.js';
