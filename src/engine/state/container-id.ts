/**
 * The container id of a process, from its cgroup path, as libsinsp's container engines find it:
 * docker (`/docker/<64 hex>`, `docker-<64 hex>.scope`), containerd/cri (`cri-containerd-<id>`),
 * cri-o (`crio-<id>`), podman (`libpod-<id>`), kubepods paths. Ids are shortened to 12 characters.
 * A process in no container is on `host`.
 */
const PATTERNS = [
  /(?:^|\/)(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})\.scope(?:$|\/)/,
  /(?:^|\/)docker\/([0-9a-f]{64})(?:$|\/)/,
  /(?:^|\/)kubepods[^/]*\/(?:[^/]+\/)*?(?:pod[^/]+\/)([0-9a-f]{64})(?:$|\/)/,
  /(?:^|\/)([0-9a-f]{64})(?:$|\/)/,
];

export function containerIdFromCgroup(cgroup: string): string {
  for (const re of PATTERNS) {
    const m = re.exec(cgroup);
    if (m) return m[1].slice(0, 12);
  }
  return 'host';
}
