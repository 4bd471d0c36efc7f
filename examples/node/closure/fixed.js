'use strict';
// FIXED: the timer closure captures only the number it needs.
//
// Same service as leaky.js, but the page length is read into a local
// `pageBytes` before the timer is scheduled, and the closure mentions only
// `pageBytes` and `id`. V8 keeps in a closure's context just the variables
// the closure (or a sibling closure in the same scope) uses, so `page` is
// garbage as soon as the response is written. What remains per pending
// timer is the Timeout object and a small context (~0.2 KiB), not 4 KiB.
// Keep the big value out of *every* closure in the scope: one sibling
// closure that mentions it keeps it in the shared context.

const { startService, flatString } = require('../lib/service');

const PAGE_BYTES = 4096;
const AUDIT_DELAY_MS = Number(process.env.AUDIT_DELAY_MS || 600_000);
let pendingAudits = 0;

function renderPage(id) {
  return flatString(`<html><body><h1>request ${id}</h1><pre>`, PAGE_BYTES, 'p');
}

function scheduleAudit(id, pageBytes) {
  pendingAudits++;
  // THE FIX: only primitives (`id`, `pageBytes`) are captured.
  setTimeout(() => {
    pendingAudits--;
    if (pageBytes > 1_000_000) console.log(`audit: request ${id} sent a large page`);
  }, AUDIT_DELAY_MS).unref();
}

startService({
  name: 'node/closure/fixed',
  bytesPerRequest: 0,
  retained: () => pendingAudits,
  handle(id, req, res) {
    const page = renderPage(id);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`request ${id}: ${page.length} bytes rendered\n`);
    scheduleAudit(id, page.length);
  },
});
