'use strict';
// Shared plumbing for the Node example services: port selection, routing,
// /metrics (Prometheus text), /stats (JSON) and clean shutdown.
// Each example file only contains the code that leaks (or does not).
//
// Start a service with:   node leaky.js --port 0        (or PORT=8080 node leaky.js)
// Add --expose-gc to let `/stats?gc=1` collect garbage before measuring.

const http = require('node:http');

/** Port from `--port N`, `--port=N` or the PORT env variable; 0 (ephemeral) by default. */
function parsePort(argv = process.argv.slice(2), env = process.env) {
  let raw = env.PORT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port' && i + 1 < argv.length) raw = argv[i + 1];
    else if (argv[i].startsWith('--port=')) raw = argv[i].slice('--port='.length);
  }
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid port ${JSON.stringify(raw)}: use an integer 0-65535`);
    process.exit(2);
  }
  return port;
}

/**
 * Starts an HTTP server on 127.0.0.1.
 *
 * options.name        e.g. "node/cache/leaky"
 * options.bytesPerRequest  bytes the leaky variant means to retain per request
 * options.handle(n, req, res)  handles /user/<n> and /req/<n>; must end the response
 * options.retained()  number of entries the pattern currently retains
 */
function startService(options) {
  let requests = 0;

  function metricsText() {
    const mem = process.memoryUsage();
    const lines = [
      ['process_resident_memory_bytes', 'gauge', 'Resident set size in bytes.', mem.rss],
      ['nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', mem.heapUsed],
      ['nodejs_heap_size_total_bytes', 'gauge', 'V8 heap total in bytes.', mem.heapTotal],
      ['nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JS, in bytes.', mem.external],
      ['app_requests_total', 'counter', 'Requests served on /user and /req.', requests],
      ['app_retained_entries', 'gauge', 'Entries the example currently retains.', options.retained()],
    ];
    return lines
      .map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`)
      .join('');
  }

  function stats(wantGc) {
    const gcAvailable = typeof global.gc === 'function';
    if (wantGc && gcAvailable) global.gc();
    const mem = process.memoryUsage();
    return {
      service: options.name,
      requests,
      retained_entries: options.retained(),
      intended_retained_bytes_per_request: options.bytesPerRequest,
      heap_used_bytes: mem.heapUsed,
      external_bytes: mem.external,
      rss_bytes: mem.rss,
      gc: wantGc && gcAvailable,
    };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const match = /^\/(?:user|req)\/([0-9A-Za-z_-]{1,64})$/.exec(url.pathname);
    if (match) {
      requests++;
      options.handle(match[1], req, res);
    } else if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metricsText());
    } else if (url.pathname === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats(url.searchParams.get('gc') === '1')) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /user/<n>, /metrics or /stats\n');
    }
  });

  server.listen(parsePort(), '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${server.address().port}`);
  });

  const shutdown = (signal) => {
    console.log(`${signal}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    // Pending timers (the closure example) must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return server;
}

/**
 * A flat string of exactly `bytes` one-byte characters that starts with `prefix`.
 *
 * Built through a Buffer on purpose: `'x'.repeat(n)` returns a tree of
 * shared ConsStrings in V8 (about 300 bytes for n = 2048), which would make
 * the examples retain far less than they claim.
 */
function flatString(prefix, bytes, fill = 'x') {
  const buf = Buffer.alloc(bytes, fill);
  buf.write(prefix, 0, 'latin1');
  return buf.toString('latin1');
}

module.exports = { startService, parsePort, flatString };
