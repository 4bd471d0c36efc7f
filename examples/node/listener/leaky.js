'use strict';
// LEAKY: an event listener added per request and never removed.
//
// The service has one long-lived EventEmitter, `settings`, that announces
// configuration changes. Each /user/<n> request subscribes so it can react
// to a change while it is being served -- and never unsubscribes. The
// emitter keeps every listener, and every listener's closure keeps the
// request's ~2 KiB session string alive: about 2.2 KiB of heap per request.
// (Node prints a MaxListenersExceededWarning after 10 listeners: that
// warning is usually the first sign of this leak in production logs.)

const { EventEmitter } = require('node:events');
const { startService, flatString } = require('../lib/service');

const SESSION_BYTES = 2048;
const settings = new EventEmitter();

function loadSession(user) {
  return flatString(`session-of-${user}:`, SESSION_BYTES, 's');
}

startService({
  name: 'node/listener/leaky',
  bytesPerRequest: SESSION_BYTES,
  retained: () => settings.listenerCount('change'),
  handle(user, req, res) {
    const session = loadSession(user);
    // THE LEAK: this listener (and the `session` it closes over) stays
    // registered on the long-lived emitter after the response is sent.
    settings.on('change', (key) => {
      console.log(`settings.${key} changed while serving ${session.slice(0, 20)}`);
    });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`user ${user}: session ${session.length} bytes\n`);
  },
});
