// The `agnhost` test image (registry.k8s.io/e2e-test-images/agnhost): the subcommands e2e tests
// use most. netexec: HTTP on --http-port (8080) with /, /hostname, /echo?msg=&code=,
// /clientip, /shell?cmd=, /exit?code=, /healthz, /shutdown, and UDP on --udp-port (8081)
// answering `hostname`, `echo <msg>` and `clientip`. serve-hostname: its hostname over HTTP on
// --port (9376). liveness: /healthz on 8080, healthy for the first 10 s only. pause: waits.
// entrypoint-tester: prints its arguments.
// @ts-check
import { exec } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { exitOnSignals, hostname, listenAddress, parseFlags } from './support.mjs';

const [sub = 'pause', ...rest] = process.argv.slice(2);
const { flags } = parseFlags(rest);

/** Go's log format: `2006/01/02 15:04:05 message`. @param {string} msg */
function logf(msg) {
  const d = new Date();
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  process.stderr.write(`${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${msg}\n`);
}

/**
 * @param {number} port
 * @param {(url: URL, req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void} handle
 */
function httpServer(port, handle) {
  const server = createServer((req, res) => handle(new URL(req.url ?? '/', 'http://x'), req, res));
  server.on('error', (err) => {
    logf(err.message);
    process.exit(1);
  });
  server.listen(port, listenAddress(), () => logf(`Started HTTP server on port ${port}`));
  return server;
}

function netexec() {
  const httpPort = Number(flags['http-port'] ?? 8080);
  const udpPort = Number(flags['udp-port'] ?? 8081);
  const server = httpServer(httpPort, (url, req, res) => {
    const q = url.searchParams;
    const text = (/** @type {string} */ body, code = 200) => {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    switch (url.pathname) {
      case '/hostname':
      case '/hostName':
        logf('GET /hostname');
        return text(hostname());
      case '/echo': {
        const code = q.get('code');
        logf(`GET /echo?msg=${q.get('msg') ?? ''}&code=${code ?? ''}`);
        if (code && !/^\d+$/.test(code)) return text(`argument 'code' must be an integer or empty, got "${code}"\n`);
        return text(q.get('msg') ?? '', code ? Number(code) : 200);
      }
      case '/clientip':
        return text(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
      case '/healthz':
        return text('');
      case '/shell': {
        const cmd = q.get('shellCommand') || q.get('cmd') || '';
        logf(`GET /shell?cmd=${cmd}`);
        exec(cmd, { shell: '/bin/sh' }, (err, stdout, stderr) => {
          /** @type {Record<string, string>} */
          const out = {};
          if (stdout || stderr) out.output = stdout + stderr;
          if (err) out.error = `exit status ${err.code ?? 1}`;
          text(JSON.stringify(out));
        });
        return;
      }
      case '/exit': {
        const code = Number(q.get('code') ?? 0);
        logf(`GET /exit?code=${code}`);
        res.end();
        server.close();
        return void setTimeout(() => process.exit(code), 10);
      }
      case '/shutdown':
        logf('GET /shutdown');
        return process.exit(0);
      case '/':
        logf('GET /');
        return text(`NOW: ${new Date().toISOString()}`);
      default:
        return text('404 page not found\n', 404);
    }
  });
  if (udpPort !== -1) {
    const udp = createSocket('udp4');
    udp.on('message', (msg, from) => {
      const s = msg.toString().trim();
      const reply = s === 'hostname' ? hostname() : s.startsWith('echo ') ? s.slice(5) : s === 'clientip' ? `${from.address}:${from.port}` : '';
      if (reply) udp.send(reply, from.port, from.address);
    });
    udp.bind(udpPort, listenAddress());
  }
}

function serveHostname() {
  const port = Number(flags.port ?? 9376);
  httpServer(port, (_url, _req, res) => res.end(hostname()));
}

function liveness() {
  const started = Date.now();
  httpServer(8080, (url, _req, res) => {
    if (url.pathname !== '/healthz') return void res.writeHead(404).end();
    const secs = (Date.now() - started) / 1000;
    if (secs > 10) res.writeHead(500).end(`error: ${secs}`);
    else res.writeHead(200).end('ok');
  });
}

exitOnSignals();
switch (sub) {
  case 'netexec':
    netexec();
    break;
  case 'serve-hostname':
    serveHostname();
    break;
  case 'liveness':
    liveness();
    break;
  case 'pause':
    setInterval(() => undefined, 1 << 30);
    break;
  case 'entrypoint-tester':
    // Go's fmt.Println(os.Args).
    process.stdout.write(`[${['/agnhost', sub, ...rest].join(' ')}]\n`);
    break;
  default:
    process.stderr.write(`Error: unknown command "${sub}" for "agnhost" (k8ts built-in: netexec, serve-hostname, liveness, pause, entrypoint-tester)\n`);
    process.exit(1);
}
