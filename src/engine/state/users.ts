import type { Cursor } from '../cursor.js';
import type { UserInfo } from './types.js';

/**
 * User and group names as libsinsp resolves them: against the table of the thread's container
 * (its own /etc/passwd and /etc/group, which the capture reads through /proc/PID/root in every snapshot, per
 * container: snapshot_user / snapshot_group rows with a container_id), or the host's for a thread
 * on the host. A container whose table the trace does not hold knows no names (<NA>); uid and gid
 * 0 are root everywhere.
 */
function containerOf(c: Cursor): string {
  return c.thread()?.containerId ?? 'host';
}

export function userOf(c: Cursor, uid: number | undefined): UserInfo | undefined {
  if (uid === undefined) return undefined;
  const id = containerOf(c);
  return id === 'host' ? c.state.users.get(uid) : c.state.containerUsers.get(id)?.get(uid);
}

export function userNameOf(c: Cursor, uid: number | undefined): string | undefined {
  return uid === undefined ? undefined : (userOf(c, uid)?.name ?? (uid === 0 ? 'root' : undefined));
}

export function groupNameOf(c: Cursor, gid: number | undefined): string | undefined {
  if (gid === undefined) return undefined;
  const id = containerOf(c);
  const name = id === 'host' ? c.state.groups.get(gid) : c.state.containerGroups.get(id)?.get(gid);
  return name ?? (gid === 0 ? 'root' : undefined);
}
