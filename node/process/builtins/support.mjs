// What the built-in images share: where to listen, how to find a path the container sees, and
// a clean exit on SIGTERM. Plain JavaScript, run by the node binary directly (no tsx), so that
// a container starts in tens of milliseconds.
// @ts-check
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

/** The address to bind: the pod's own IP when pods share the host's network (K8TS_LISTEN_ADDRESS), else every address. */
export function listenAddress() {
  return process.env.K8TS_LISTEN_ADDRESS || '0.0.0.0';
}

/** The pod's hostname (its name, as a container runtime sets it). */
export function hostname() {
  return process.env.HOSTNAME || osHostname();
}

/**
 * The host path of a path the container sees. With a mount namespace they are the same; without
 * one, K8TS_PATH_MAP (JSON: container path → host path) says where the volumes really are.
 * @param {string} path
 */
export function hostPath(path) {
  /** @type {Record<string, string>} */
  let map = {};
  try {
    map = JSON.parse(process.env.K8TS_PATH_MAP || '{}');
  } catch {
    // no map: paths are the host's
  }
  let best = '';
  for (const prefix of Object.keys(map)) {
    if ((path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) && prefix.length > best.length) best = prefix;
  }
  return best ? join(map[best], path.slice(best.length)) : path;
}

/**
 * Exits with `code` on SIGTERM, SIGINT and SIGQUIT after `cleanup` (as the real programs do:
 * a graceful stop is a success).
 * @param {() => void} [cleanup]
 * @param {number} [code]
 */
export function exitOnSignals(cleanup, code = 0) {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT']) {
    process.on(sig, () => {
      try {
        cleanup?.();
      } finally {
        process.exit(code);
      }
    });
  }
}

/**
 * `--name=value` and `--name value` flags, and the positional arguments.
 * @param {string[]} argv
 */
export function parseFlags(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (m[2] !== undefined) flags[m[1]] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) flags[m[1]] = argv[++i];
    else flags[m[1]] = 'true';
  }
  return { flags, rest };
}
