'use strict';
// LEAKY: a timer closure that captures a large per-request buffer.
//
// Each /req/<n> request renders a ~4 KiB page and schedules an "audit" log
// line for later (AUDIT_DELAY_MS, 10 minutes by default). The timer's
// closure mentions `page`, so the whole 4 KiB page stays reachable from the
// timer list until the timer fires. Under steady load the heap holds
// rate x delay pages; at 100 req/s that is ~240 MB -- and a longer delay or
// a setInterval that is never cleared makes it unbounded.
// Retained per request: the 4 KiB page + the timer (~4.3 KiB of heap).

const { startService, flatString } = require('../lib/service');

const PAGE_BYTES = 4096;
const AUDIT_DELAY_MS = Number(process.env.AUDIT_DELAY_MS || 600_000);
let pendingAudits = 0;

function renderPage(id) {
  return flatString(`<html><body><h1>request ${id}</h1><pre>`, PAGE_BYTES, 'p');
}

startService({
  name: 'node/closure/leaky',
  bytesPerRequest: PAGE_BYTES,
  retained: () => pendingAudits,
  handle(id, req, res) {
    const page = renderPage(id);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`request ${id}: ${page.length} bytes rendered\n`);

    pendingAudits++;
    // THE LEAK: the closure reads `page.length` when it runs, so it keeps
    // `page` itself (4 KiB) alive for the whole delay.
    setTimeout(() => {
      pendingAudits--;
      if (page.length > 1_000_000) console.log(`audit: request ${id} sent a large page`);
    }, AUDIT_DELAY_MS).unref();
  },
});
