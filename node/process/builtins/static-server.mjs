// The web server behind the `nginx` and `httpd` images: serves the files under --root on
// --port (GET and HEAD), index.html for directories, and the image's own welcome page while
// nothing is mounted at --root. Access log lines go to stdout in the combined format.
// @ts-check
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { exitOnSignals, hostPath, listenAddress, parseFlags } from './support.mjs';

const { flags } = parseFlags(process.argv.slice(2));
const root = flags.root ?? '/usr/share/nginx/html';
const port = Number(flags.port ?? 80);
const flavor = flags.welcome === 'httpd' ? 'httpd' : 'nginx';

const WELCOME = {
  nginx: `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`,
  httpd: '<html><body><h1>It works!</h1></body></html>\n',
};

/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.js': 'application/javascript', '.json': 'application/json',
  '.txt': 'text/plain', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

/** @param {number} code */
function errorPage(code) {
  const text = { 403: '403 Forbidden', 404: '404 Not Found', 405: '405 Not Allowed' }[code] ?? `${code}`;
  return flavor === 'nginx'
    ? `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
    : `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${text}</title>\n</head><body>\n<h1>${text.replace(/^\d+ /, '')}</h1>\n</body></html>\n`;
}

/** @param {string} p */
function stat(p) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

const server = createServer((req, res) => {
  const started = new Date();
  let status = 200;
  let bytes = 0;
  const send = (/** @type {number} */ code, /** @type {string} */ body, type = 'text/html') => {
    status = code;
    bytes = Buffer.byteLength(body);
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': bytes, Server: flavor });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  res.on('finish', () => {
    const t = started.toUTCString();
    process.stdout.write(`${req.socket.remoteAddress} - - [${t}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes} "${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}"\n`);
  });
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, errorPage(405));
  let path;
  try {
    path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
  } catch {
    return send(400, errorPage(400));
  }
  const base = hostPath(root);
  if (!stat(base)?.isDirectory()) {
    // Nothing mounted over the image's html directory: its own pages.
    if (path === '/' || path === '/index.html') return send(200, WELCOME[flavor]);
    return send(404, errorPage(404));
  }
  let file = join(base, path);
  let st = stat(file);
  if (st?.isDirectory()) {
    file = join(file, 'index.html');
    st = stat(file);
    if (!st) return send(403, errorPage(403));
  }
  if (!st?.isFile()) return send(404, errorPage(404));
  status = 200;
  bytes = st.size;
  res.writeHead(200, { 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': st.size, 'Last-Modified': st.mtime.toUTCString(), Server: flavor });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
});

server.on('error', (err) => {
  process.stderr.write(`${flavor}: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, listenAddress());
exitOnSignals(() => server.close());
