'use strict';
// FIXED: the same per-user cache, bounded by entry count (LRU) and by age (TTL).
//
// A Map remembers insertion order, so its first key is the least recently
// used one if every hit re-inserts its key. Once the cache holds MAX_ENTRIES
// the oldest entry is dropped, and entries older than TTL_MS are treated as
// misses and swept once a second. Memory is bounded by
// MAX_ENTRIES x ~2 KiB (~2 MiB) however many users come by.

const { startService, flatString } = require('../lib/service');

const PROFILE_BYTES = 2048;
const MAX_ENTRIES = Number(process.env.CACHE_MAX_ENTRIES || 1000);
const TTL_MS = Number(process.env.CACHE_TTL_MS || 60_000);

class LruCache {
  constructor(maxEntries, ttlMs) {
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.map = new Map(); // key -> { value, expiresAt }
  }

  get(key) {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.map.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined; // expired: drop it
    this.map.set(key, entry); // move to the most recently used end
    return entry.value;
  }

  set(key, value) {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    // THE FIX: evict the least recently used entries beyond the limit.
    while (this.map.size > this.maxEntries) {
      this.map.delete(this.map.keys().next().value);
    }
  }

  sweepExpired() {
    const now = Date.now();
    for (const [key, entry] of this.map) {
      if (entry.expiresAt <= now) this.map.delete(key);
    }
  }

  get size() {
    return this.map.size;
  }
}

const profiles = new LruCache(MAX_ENTRIES, TTL_MS);
// unref(): the sweep timer must not keep the process alive at shutdown.
setInterval(() => profiles.sweepExpired(), 1000).unref();

function loadProfile(user) {
  return flatString(`{"user":"${user}","bio":"`, PROFILE_BYTES);
}

startService({
  name: 'node/cache/fixed',
  bytesPerRequest: 0,
  retained: () => profiles.size,
  handle(user, req, res) {
    let profile = profiles.get(user);
    if (profile === undefined) {
      profile = loadProfile(user);
      profiles.set(user, profile);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`user ${user}: ${profile.length} bytes\n`);
  },
});
