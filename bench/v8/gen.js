// Generate a series of three real heap snapshots of one Node process for the benchmarks.
//
//   node --max-old-space-size=16000 gen.js OUTDIR N [SNAPSHOTS]
//
// N = 600000 gives three files of ~300 MB; N = 2400000 with SNAPSHOTS=1 one file over 1 GB.
// The process holds N stable `Session` objects (each with a tags array and a meta object),
// and between snapshots a module-level Map (`leakyCache`) grows by N/20 entries, each entry
// holding an object and a closure pushed to an array (`handlers`); an EventEmitter (`bus`)
// gains a listener every 100 entries.
'use strict';
const v8 = require('v8');
const path = require('path');
const { EventEmitter } = require('events');

const outDir = process.argv[2] || '.';
const N = Number(process.argv[3] || 600000);
const SNAPSHOTS = Number(process.argv[4] || 3);

class Session {
  constructor(i) {
    this.id = i;
    this.user = 'user-' + i;
    this.tags = ['t' + (i % 1000), 'web'];
    this.meta = { ip: '10.0.' + (i % 256) + '.' + (i % 200), visits: i % 17 };
  }
}
class CacheEntry {
  constructor(key, payload) { this.key = key; this.payload = payload; this.hits = 0; }
}

// Reachable from the global object (a module-level const used by no function would be freed:
// V8 does not treat dead stack registers as roots).
const sessions = (globalThis.sessions = new Map());
for (let i = 0; i < N; i++) sessions.set(i, new Session(i));
const leakyCache = new Map();
const handlers = [];
const bus = new EventEmitter();
bus.setMaxListeners(0);
let seq = 0;

function grow(count) {
  for (let i = 0; i < count; i++) {
    const k = seq++;
    const payload = { payload: 'p' + k, arr: [k, k + 1] };
    leakyCache.set('key-' + k, new CacheEntry('key-' + k, payload));
    handlers.push(() => payload.arr[0]);
    if (k % 100 === 0) bus.on('tick', () => k);
  }
}

function snap(i) {
  const file = path.join(outDir, `s${i}.heapsnapshot`);
  const t = Date.now();
  v8.writeHeapSnapshot(file);
  console.error(`${file} written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

grow(N / 20);
for (let i = 1; i <= SNAPSHOTS; i++) {
  snap(i);
  if (i < SNAPSHOTS) grow(N / 20);
}
