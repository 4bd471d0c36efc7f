'use strict';
// FIXED: the per-request listener is removed when the request's connection
// closes.
//
// `res` emits 'close' once the response has been sent or the client has
// gone away, whichever comes first. Removing the listener there drops the
// emitter's only reference to the closure (and to the session it captured),
// so the number of listeners stays at the number of requests in flight.

const { EventEmitter } = require('node:events');
const { startService, flatString } = require('../lib/service');

const SESSION_BYTES = 2048;
const settings = new EventEmitter();

function loadSession(user) {
  return flatString(`session-of-${user}:`, SESSION_BYTES, 's');
}

startService({
  name: 'node/listener/fixed',
  bytesPerRequest: 0,
  retained: () => settings.listenerCount('change'),
  handle(user, req, res) {
    const session = loadSession(user);
    const onChange = (key) => {
      console.log(`settings.${key} changed while serving ${session.slice(0, 20)}`);
    };
    settings.on('change', onChange);
    // THE FIX: unsubscribe when the response is finished or the client leaves.
    res.on('close', () => settings.off('change', onChange));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`user ${user}: session ${session.length} bytes\n`);
  },
});
