// source: https://github.com/dergachev/solr-security-proxy/issues/8 ("Small Memory Leak"; closed by PR #11)
// label: leaky  item: listener added per request
// Written here after the issue: the proxy's error listener is registered inside the request
// handler, one more listener on the long-lived proxy for every request.
const http = require("http");
const httpProxy = require("http-proxy");

const proxy = httpProxy.createProxyServer({});

function createServer(backend, allowed) {
  return http.createServer(function (req, res) {
    if (!allowed(req)) {
      res.writeHead(403);
      return res.end();
    }
    proxy.on("error", function (err) { // LEAK
      res.writeHead(502);
      res.end(String(err));
    });
    proxy.web(req, res, { target: backend });
  });
}

module.exports = { createServer };
