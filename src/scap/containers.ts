import { RECORD_TYPES } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import { cstring } from './params.js';
import type { ScapEvent } from './scap-event.js';

/**
 * Container events (PPME_CONTAINER_E, PPME_CONTAINER_JSON_E / _2_E) describe a container rather
 * than something a process did: libsinsp feeds them to its container table and does not count
 * them as captured events. They become snapshot_container rows, which the engine applies the
 * same way (and which `trace info` does not count as events).
 */

/** libsinsp's container types, by number, as the runtime names the trace uses. */
const RUNTIMES = ['docker', 'lxc', 'libvirt-lxc', 'mesos', 'rkt', 'custom', 'cri', 'containerd', 'cri-o', 'bpm', 'static', 'podman'];

export function isContainerEvent(ev: ScapEvent): boolean {
  return ev.info.name === 'container';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** The snapshot_container row of a container event, or null when it says nothing usable. */
export function containerRow(ev: ScapEvent): Omit<TraceEvent, 'num'> | null {
  const text = (i: number) => (i < ev.nparams ? cstring(ev.buf, ev.paramOff[i], ev.paramLen[i]) : '');
  const row: Omit<TraceEvent, 'num'> = { ts: ev.ts, type: RECORD_TYPES.snapshotContainer, cpu: ev.cpu };
  const extra: Record<string, string> = {};
  if (ev.info.params[0]?.name === 'json') {
    let c: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text(0)) as { container?: Record<string, unknown> };
      if (!parsed || typeof parsed.container !== 'object' || parsed.container === null) return null;
      c = parsed.container;
    } catch {
      return null;
    }
    const id = str(c.id);
    if (!id) return null;
    row.container_id = id;
    if (str(c.name)) row.name = str(c.name);
    if (str(c.image)) row.image = str(c.image);
    if (typeof c.privileged === 'boolean') row.privileged = c.privileged;
    if (typeof c.type === 'number' && RUNTIMES[c.type]) extra.runtime = RUNTIMES[c.type];
    if (str(c.ip)) extra.ip = str(c.ip)!;
    if (typeof c.created_time === 'number' && c.created_time > 0) row.start_ts = BigInt(Math.trunc(c.created_time)) * 1_000_000_000n;
    if (Array.isArray(c.Mounts)) {
      row.mounts = (c.Mounts as Record<string, unknown>[]).map(
        (m) => `${str(m.Source) ?? ''}:${str(m.Destination) ?? ''}:${str(m.Mode) ?? ''}:${m.RW === false ? 'false' : 'true'}:${str(m.Propagation) ?? ''}`,
      );
    }
    if (c.labels && typeof c.labels === 'object') {
      for (const [k, v] of Object.entries(c.labels as Record<string, unknown>)) if (str(v) !== undefined) extra[`label.${k}`] = str(v)!;
    }
  } else {
    // PPME_CONTAINER_E: id, type, name, image.
    const id = text(0);
    if (!id) return null;
    row.container_id = id;
    const type = ev.nparams > 1 && ev.paramLen[1] >= 4 ? ev.view.getUint32(ev.paramOff[1], true) : -1;
    if (RUNTIMES[type]) extra.runtime = RUNTIMES[type];
    if (text(2)) row.name = text(2);
    if (text(3)) row.image = text(3);
  }
  row.extra = extra;
  return row;
}
