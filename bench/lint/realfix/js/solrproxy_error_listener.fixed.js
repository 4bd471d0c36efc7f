// source: https://github.com/dergachev/solr-security-proxy/issues/8 ("Small Memory Leak"; closed by PR #11)
// label: fixed  item: listener added per request
const http = require("http");
const httpProxy = require("http-proxy");

const proxy = httpProxy.createProxyServer({});
proxy.on("error", function (err, req, res) {
  res.writeHead(502);
  res.end(String(err));
});

function createServer(backend, allowed) {
  return http.createServer(function (req, res) {
    if (!allowed(req)) {
      res.writeHead(403);
      return res.end();
    }
    proxy.web(req, res, { target: backend });
  });
}

module.exports = { createServer };
