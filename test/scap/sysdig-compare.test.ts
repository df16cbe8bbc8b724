import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { PT } from '../../src/scap/event-table.js';
import { FIXTURE_NEEDS, rawEvents, splitArgs, sysdigReadableFixtures } from './helpers.js';
import { sysdigEvents, sysdigSuite } from './sysdig.js';

/**
 * Every fixture decoded by our block and parameter layers, compared with what sysdig 0.29 prints
 * for it at test time (`sysdig -r FILE -p "*%evt.num %evt.type %evt.dir %thread.tid %evt.args"`):
 * the event number, type, direction and thread of every event sysdig prints, and each argument
 * value that both render the same way (numbers, paths, strings, addresses, buffers).
 */

const NUMERIC = new Set<number>([
  PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.UINT8, PT.UINT16, PT.UINT32, PT.UINT64, PT.ERRNO, PT.FD, PT.PID, PT.SYSCALLID,
  PT.SIGTYPE, PT.RELTIME, PT.PORT, PT.L4PROTO, PT.SOCKFAMILY, PT.FLAGS8, PT.FLAGS16, PT.FLAGS32, PT.UID, PT.GID, PT.SIGSET,
  PT.MODE, PT.ENUMFLAGS8, PT.ENUMFLAGS16, PT.ENUMFLAGS32, PT.FD32, PT.PID32, PT.DYN,
]);

/** Whether sysdig's rendering of a parameter agrees with our raw value (null: not comparable). */
function agrees(type: number, ours: string, theirs: string): boolean | null {
  if (NUMERIC.has(type)) {
    // sysdig appends what it resolves: 3(<f>/etc/passwd), -2(ENOENT), 4097(O_RDONLY|O_CLOEXEC).
    const paren = theirs.indexOf('(');
    const head = paren > 0 ? theirs.slice(0, paren) : theirs;
    if (head === '' && paren === 0) return theirs.startsWith(`(${ours})`) || null;
    return head === ours;
  }
  switch (type) {
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      // A relative path is followed by its resolution in parentheses.
      return theirs === ours || theirs.startsWith(`${ours}(`);
    case PT.BYTEBUF: {
      // Shown as printable text, cut to 80 characters with "...".
      if (theirs.length >= 80 && theirs.endsWith('...')) return ours.startsWith(theirs.slice(0, -3));
      return theirs === ours;
    }
    case PT.SOCKTUPLE:
    case PT.SOCKADDR:
      return theirs === ours;
    case PT.FDLIST:
      // sysdig puts the fd's type character between the fd and its poll flags.
      return theirs.replace(/:./g, ':') === ours;
    default:
      return null;
  }
}

sysdigSuite('scap decoding agrees with sysdig', () => {
  for (const file of sysdigReadableFixtures()) {
    it(basename(file), () => {
      const ours = new Map(rawEvents(file).map((e) => [e.num, e]));
      const events = sysdigEvents(file, ['evt.num', 'evt.type', 'evt.dir', 'thread.tid', 'evt.args']).map((j) => ({
        num: Number(j['evt.num']), type: String(j['evt.type']), dir: String(j['evt.dir']), tid: Number(j['thread.tid']), args: String(j['evt.args'] ?? ''),
      }));
      if (basename(file) !== 'empty.scap') expect(events.length).toBeGreaterThan(0);
      let compared = 0;
      const mismatches: string[] = [];
      for (const s of events) {
        const o = ours.get(s.num);
        expect(o, `event ${s.num}`).toBeDefined();
        expect(`${s.num} ${o!.type} ${o!.dir} ${o!.tid}`).toBe(`${s.num} ${s.type} ${s.dir} ${s.tid}`);
        if (o!.params.length === 0 || s.args === '') continue;
        const theirs = splitArgs(s.args, o!.params.map((p) => p.name));
        for (const p of o!.params) {
          const t = theirs.get(p.name);
          if (t === undefined) continue;
          const ok = agrees(p.type, p.text, t);
          if (ok === null) continue;
          compared++;
          if (!ok) mismatches.push(`#${s.num} ${s.type} ${p.name}: ours ${JSON.stringify(p.text)} sysdig ${JSON.stringify(t)}`);
        }
      }
      expect(mismatches.slice(0, 20)).toEqual([]);
      if (events.length > 0) expect(compared).toBeGreaterThan(events.length / 2);
    });
  }
}, { needs: FIXTURE_NEEDS });
