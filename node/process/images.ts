// Images cannot be pulled here, so an image name selects what a container runs: a catalogue of
// well-known images, each with the config a registry would give (ENTRYPOINT, CMD, env, working
// directory) and the programs the image has that the host lacks, which run as small built-in
// Node scripts (builtins/). busybox and alpine give the host's own /bin/sh and tools. Any other
// image has no entrypoint: the container's command runs as given, on the host's binaries.
import { fileURLToPath } from 'node:url';
import { expand } from './env.ts';

type J = Record<string, any>;

export interface ImageConfig {
  /** The repository the name resolved to (docker.io/library/nginx), or undefined for unknown images. */
  known?: string;
  entrypoint: string[];
  cmd: string[];
  env: [string, string][];
  workingDir: string;
  /** Programs of the image the host does not have, by name: what stands in for them. */
  programs: Record<string, Program>;
}

/**
 * A host command standing in for an image's program, given the program's arguments
 * (`withArgs`) or not (the web servers are configured by the image, not by flags); or
 * `'exec-args'` for entrypoint scripts that end in `exec "$@"`.
 */
export type Program = { run: string[]; withArgs: boolean } | 'exec-args';

const BUILTINS = fileURLToPath(new URL('./builtins/', import.meta.url));
const node = (script: string, ...args: string[]) => [process.execPath, `${BUILTINS}${script}`, ...args];

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface CatalogueEntry {
  repositories: string[];
  config: Omit<ImageConfig, 'known'>;
}

const nginx: Program = { run: node('static-server.mjs', '--root', '/usr/share/nginx/html', '--port', '80', '--welcome', 'nginx'), withArgs: false };
const httpd: Program = { run: node('static-server.mjs', '--root', '/usr/local/apache2/htdocs', '--port', '80', '--welcome', 'httpd'), withArgs: false };
const agnhost: Program = { run: node('agnhost.mjs'), withArgs: true };
const pause: Program = { run: node('pause.mjs'), withArgs: false };

const CATALOGUE: CatalogueEntry[] = [
  {
    repositories: ['docker.io/library/nginx', 'registry.k8s.io/e2e-test-images/nginx', 'docker.io/nginxinc/nginx-unprivileged'],
    config: {
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: ['nginx', '-g', 'daemon off;'],
      env: [['PATH', PATH], ['NGINX_VERSION', '1.27.0']],
      workingDir: '',
      programs: { nginx, 'docker-entrypoint.sh': 'exec-args' },
    },
  },
  {
    repositories: ['docker.io/library/httpd', 'registry.k8s.io/e2e-test-images/httpd'],
    config: {
      entrypoint: [],
      cmd: ['httpd-foreground'],
      env: [['PATH', `/usr/local/apache2/bin:${PATH}`], ['HTTPD_PREFIX', '/usr/local/apache2'], ['HTTPD_VERSION', '2.4.62']],
      workingDir: '/usr/local/apache2',
      programs: { 'httpd-foreground': httpd, httpd },
    },
  },
  {
    repositories: ['docker.io/library/busybox', 'registry.k8s.io/e2e-test-images/busybox', 'gcr.io/google-containers/busybox', 'docker.io/library/alpine', 'docker.io/library/debian', 'docker.io/library/ubuntu'],
    // `busybox <applet> ...` runs the host's applet of that name.
    config: { entrypoint: [], cmd: ['sh'], env: [['PATH', PATH]], workingDir: '', programs: { busybox: { run: ['env'], withArgs: true } } },
  },
  {
    repositories: ['registry.k8s.io/pause', 'k8s.gcr.io/pause', 'gcr.io/google-containers/pause', 'gcr.io/google_containers/pause'],
    config: { entrypoint: ['/pause'], cmd: [], env: [['PATH', PATH]], workingDir: '', programs: { pause } },
  },
  {
    repositories: ['registry.k8s.io/e2e-test-images/agnhost', 'k8s.gcr.io/e2e-test-images/agnhost'],
    config: { entrypoint: ['/agnhost'], cmd: ['pause'], env: [['PATH', PATH]], workingDir: '', programs: { agnhost } },
  },
];

/** `nginx:1.27` → `docker.io/library/nginx` (no tag or digest). */
export function repositoryOf(image: string): string {
  let name = image.split('@')[0]!;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain) return name;
  return `docker.io/${name.includes('/') ? '' : 'library/'}${name}`;
}

/** What the image would say about itself. */
export function imageConfig(image: string): ImageConfig {
  const repo = repositoryOf(image);
  const entry = CATALOGUE.find((e) => e.repositories.includes(repo));
  if (!entry) return { entrypoint: [], cmd: [], env: [['PATH', PATH]], workingDir: '', programs: {} };
  return { known: repo, ...entry.config };
}

/**
 * The argv a container runs, as a container runtime builds it from the pod and the image:
 * `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD; `$(VAR)` references
 * expand against the container's environment. An image program named by the first word
 * (or the last part of its path) is replaced by the host command standing in for it.
 */
export function containerArgv(container: J, image: ImageConfig, env: ReadonlyMap<string, string>): string[] {
  const lookup = (name: string) => env.get(name);
  const command: string[] = (container.command ?? []).map((s: string) => expand(s, lookup));
  const args: string[] = (container.args ?? []).map((s: string) => expand(s, lookup));
  let argv = command.length ? [...command, ...args] : [...image.entrypoint, ...(args.length ? args : image.cmd)];
  for (;;) {
    if (argv.length === 0) return argv;
    const first = argv[0]!;
    const program = image.programs[first] ?? image.programs[first.slice(first.lastIndexOf('/') + 1)];
    if (!program) return argv;
    if (program === 'exec-args') argv = argv.slice(1);
    else return program.withArgs ? [...program.run, ...argv.slice(1)] : [...program.run];
  }
}

/** The environment a container starts with: the image's, then the container's own on top. */
export function mergeEnv(image: ImageConfig, containerEnv: [string, string][]): Map<string, string> {
  return new Map([...image.env, ...containerEnv]);
}
