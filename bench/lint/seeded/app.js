// Seeded with the checklist items (bench/lint, docs/benchmarks/lint.md): each LEAK line is one
// item; nothing here is a fix.
const express = require('express');
const fs = require('fs');
const net = require('net');
const { EventEmitter } = require('events');
const app = express();
const bus = new EventEmitter();
const sessions = new Map();                       // C1 cache
const pool = require('./db').pool;

app.get('/user/:id', (req, res) => {
  sessions.set(req.params.id, req.headers);        // LEAK C1: unbounded module cache
  bus.on('update', (u) => res.write(u));           // LEAK C2: listener per request
  const report = Buffer.alloc(10 * 1024 * 1024);
  setTimeout(() => console.log(report.length), 60000); // LEAK C5: timer closure holds 10 MB
  const tick = setInterval(() => res.write('.'), 1000); // LEAK C8: interval never cleared
  const fd = fs.openSync('/tmp/audit.log', 'a');   // LEAK C7: file never closed
  fs.writeSync(fd, req.url);
  const sock = net.connect(9000, '127.0.0.1');     // LEAK C7: socket never ended
  sock.write(req.url);
  pool.getConnection((err, conn) => {              // LEAK C6: connection never released
    conn.query('SELECT * FROM orders', (e, rows) => res.json(rows)); // LEAK C3: no LIMIT
  });
});

module.exports = app;
