'use strict';
// LEAKY: an in-memory cache keyed per user that nothing ever evicts.
//
// Every /user/<n> request builds a ~2 KiB profile for user <n> and stores it
// in `profiles` "to make the next request for that user faster". With a new
// user on every request the Map only ever grows: each request retains about
// 2 KiB of string data plus the Map entry (~2.1 KiB of V8 heap in total).

const { startService, flatString } = require('../lib/service');

const PROFILE_BYTES = 2048;

// THE LEAK: a module-level Map with no size limit and no expiry.
const profiles = new Map();

function loadProfile(user) {
  // Stands in for a database call. The string is unique per user, so V8
  // cannot share it between entries.
  return flatString(`{"user":"${user}","bio":"`, PROFILE_BYTES);
}

startService({
  name: 'node/cache/leaky',
  bytesPerRequest: PROFILE_BYTES,
  retained: () => profiles.size,
  handle(user, req, res) {
    let profile = profiles.get(user);
    if (profile === undefined) {
      profile = loadProfile(user);
      profiles.set(user, profile); // stored forever
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`user ${user}: ${profile.length} bytes\n`);
  },
});
