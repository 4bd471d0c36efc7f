#!/usr/bin/env python3
"""A Kubernetes API server on loopback for leakscope's tests and benchmark: core/v1 pods,
events, namespaces and nodes, and metrics.k8s.io/v1beta1 pod metrics, served the way the
API reference says the real server serves them.

- list: labelSelector and fieldSelector (`a=b`, `a==b`, `a!=b`, comma-joined; fields by their
  dotted path), `limit` and `continue` with a consistent snapshot per list (as etcd's MVCC
  gives the real server), `410 Expired` for a continue token that outlived its snapshot.
- watch (`?watch=true`): ADDED/MODIFIED/DELETED lines from `resourceVersion` on, BOOKMARKs
  when `allowWatchBookmarks`, the initial events and their `k8s.io/initial-events-end`
  bookmark with `sendInitialEvents=true`, `timeoutSeconds`, and a `410 Gone` ERROR event for
  a resourceVersion older than the compacted history.
- every object gets `metadata.uid`, `resourceVersion` and `creationTimestamp`.
- 403 Forbidden with the real Status body for forbidden (verb, resource) pairs.

Test control, under /_control/ (POST JSON): `apply` {"objects": [...]}, `delete`
{"resource", "namespace", "name", "quiet"} (quiet: no DELETED event), `forbid` {"verb", "resource"},
`allow` (forbid nothing), `unavailable` {"on", "times"} (the next `times` API requests, or all
while on, answer 503), `compact` (history before
now is gone: open watches get 410 and must re-list), `expire_continue`,
`delete_after_page` {"resource", "namespace", "name", "expire"} (deleted right after the next
first page of a paged list is served; with "expire", that list's continue token expires too),
`tokens` {"accept": [...]} (API requests without `Authorization: Bearer <one of them>` answer
401, as the real server does for a bad service-account token; [] accepts any); GET `requests`
(what was asked, in order) and `authorizations` (each API request's path and Authorization).

Start: `fake_apiserver.py [--fixture FILE.json] [--generate PODS,NAMESPACES] [--tls-cert PEM
--tls-key PEM]`; it prints `PORT <n>` once it listens on 127.0.0.1 (port 0 = any free port)
and, with a certificate, `TLS_PORT <n>` where it serves the same API over HTTPS (control stays
on the plain port); it stops on SIGTERM or when its stdin closes.
"""

import argparse
import base64
import copy
import json
import os
import random
import signal
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESOURCES = {
    # resource: (api prefix, kind, namespaced)
    "pods": ("/api/v1", "Pod", True),
    "events": ("/api/v1", "Event", True),
    "nodes": ("/api/v1", "Node", False),
    "namespaces": ("/api/v1", "Namespace", False),
    "podmetrics": ("/apis/metrics.k8s.io/v1beta1", "PodMetrics", True),
}
URL_NAMES = {"pods": "pods", "events": "events", "nodes": "nodes", "namespaces": "namespaces"}


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 1000
        self.objects = {r: {} for r in RESOURCES}  # resource -> (ns, name) -> obj
        self.log = []  # (rv, resource, type, obj)
        self.compacted_rv = 0  # watches from below this get 410
        self.forbidden = set()  # (verb, resource)
        self.snapshots = {}  # id -> (rv, [objs])
        self.pending_delete = []
        self.requests = []
        self.authorizations = []  # (path, Authorization header or None) of API requests
        self.tokens = set()  # accepted bearer tokens; empty: any
        self.epoch = 0  # bumped by compact: open watches end with 410
        self.unavailable = 0  # API requests still to answer 503, as a restarting server

    def next_rv(self):
        self.rv += 1
        return self.rv

    def apply(self, obj, resource=None):
        resource = resource or resource_of(obj)
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace", ""), meta["name"])
        old = self.objects[resource].get(key)
        meta.setdefault("uid", (old or {}).get("metadata", {}).get("uid") or str(uuid.uuid4()))
        meta.setdefault(
            "creationTimestamp",
            (old or {}).get("metadata", {}).get("creationTimestamp") or now_rfc3339(),
        )
        rv = self.next_rv()
        meta["resourceVersion"] = str(rv)
        self.objects[resource][key] = obj
        self.log.append((rv, resource, "MODIFIED" if old else "ADDED", obj))
        if resource in ("pods", "events") and meta.get("namespace"):
            ns = meta["namespace"]
            if ("", ns) not in self.objects["namespaces"]:
                self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, "namespaces")
        return obj

    def delete(self, resource, namespace, name):
        obj = self.objects[resource].pop((namespace or "", name), None)
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        rv = self.next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        self.log.append((rv, resource, "DELETED", obj))
        return obj

    def compact(self):
        self.compacted_rv = self.rv + 1
        self.log = []
        self.epoch += 1


def resource_of(obj):
    kind = obj.get("kind")
    for r, (_, k, _) in RESOURCES.items():
        if k == kind:
            return r
    raise ValueError(f"unknown kind {kind}")


def field(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    if cur is None:
        return ""
    return str(cur)


def parse_selector(text):
    out = []
    for term in filter(None, (t.strip() for t in (text or "").split(","))):
        for op in ("!=", "==", "="):
            if op in term:
                k, v = term.split(op, 1)
                out.append((k.strip(), "!=" if op == "!=" else "=", v.strip()))
                break
        else:
            out.append((term, "exists", None))
    return out


def matches(obj, labels, fields):
    lab = obj.get("metadata", {}).get("labels") or {}
    for k, op, v in labels:
        if op == "exists" and k not in lab:
            return False
        if op == "=" and lab.get(k) != v:
            return False
        if op == "!=" and lab.get(k) == v:
            return False
    for k, op, v in fields:
        got = field(obj, k)
        if op == "=" and got != v:
            return False
        if op == "!=" and got == v:
            return False
    return True


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


STORE = Store()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    # ---- control -------------------------------------------------------------------------
    def do_POST(self):
        path = urlsplit(self.path).path
        if not path.startswith("/_control/"):
            return self.send_json(405, status(405, "MethodNotAllowed", "read-only fake"))
        body = self.read_body()
        what = path[len("/_control/"):]
        with STORE.lock:
            if what == "apply":
                for o in body.get("objects", []):
                    STORE.apply(o)
            elif what == "delete":
                if body.get("quiet"):
                    # Gone without a DELETED event, as when the event was compacted away
                    # while a watch was down: only a re-list shows it.
                    STORE.objects[body["resource"]].pop((body.get("namespace") or "", body["name"]), None)
                    STORE.next_rv()
                else:
                    STORE.delete(body["resource"], body.get("namespace"), body["name"])
            elif what == "forbid":
                STORE.forbidden.add((body["verb"], body["resource"]))
            elif what == "allow":
                STORE.forbidden.clear()
            elif what == "unavailable":
                STORE.unavailable = (body.get("times") or 10**9) if body.get("on", True) else 0
            elif what == "compact":
                STORE.compact()
            elif what == "expire_continue":
                STORE.snapshots.clear()
            elif what == "delete_after_page":
                STORE.pending_delete.append(body)
            elif what == "tokens":
                STORE.tokens = set(body.get("accept") or [])
            else:
                return self.send_json(404, status(404, "NotFound", what))
            STORE.lock.notify_all()
            rv = STORE.rv
        self.send_json(200, {"resourceVersion": str(rv)})

    # ---- API -----------------------------------------------------------------------------
    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        with STORE.lock:
            STORE.requests.append(self.path)
        if url.path == "/_control/requests":
            with STORE.lock:
                return self.send_json(200, {"requests": list(STORE.requests)})
        if url.path == "/_control/authorizations":
            with STORE.lock:
                return self.send_json(200, {"authorizations": [list(a) for a in STORE.authorizations]})
        auth = self.headers.get("Authorization")
        with STORE.lock:
            STORE.authorizations.append((self.path, auth))
            tokens = set(STORE.tokens)
        if tokens and not (auth and auth.startswith("Bearer ") and auth[len("Bearer "):] in tokens):
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        disc = discovery(url.path.rstrip("/"))
        if disc is not None:
            return self.send_json(200, disc)
        route = self.route(url.path)
        if route is None:
            return self.send_json(404, status(404, "NotFound", f"the server could not find the requested resource ({url.path})"))
        resource, namespace, name, watch_path = route
        watch = watch_path or q.get("watch") in ("true", "1")
        verb = "watch" if watch else ("get" if name else "list")
        with STORE.lock:
            forbidden = (verb, resource) in STORE.forbidden
            unavailable = STORE.unavailable > 0
            if unavailable:
                STORE.unavailable -= 1
        if unavailable:
            return self.send_json(503, status(503, "ServiceUnavailable", "the server is currently unable to handle the request"))
        if forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            group = "metrics.k8s.io" if resource == "podmetrics" else ""
            shown = "pods" if resource == "podmetrics" else resource
            return self.send_json(403, status(
                403, "Forbidden",
                f'{shown} is forbidden: User "system:serviceaccount:leakscope:leakscope" cannot {verb} resource "{shown}" in API group "{group}" {scope}',
                {"kind": shown}))
        if name:
            with STORE.lock:
                obj = STORE.objects[resource].get((namespace or "", name))
            if obj is None:
                return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource}))
            return self.send_json(200, obj)
        labels = parse_selector(q.get("labelSelector"))
        fields = parse_selector(q.get("fieldSelector"))
        if watch:
            return self.watch(resource, namespace, labels, fields, q)
        return self.list(resource, namespace, labels, fields, q)

    def route(self, path):
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            rest = parts[2:]
        elif parts[:3] == ["apis", "metrics.k8s.io", "v1beta1"]:
            rest = parts[3:]
            rest = ["podmetrics" if p == "pods" else p for p in rest]
        else:
            return None
        watch = False
        if rest[:1] == ["watch"]:
            watch, rest = True, rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RESOURCES:
            return None
        if rest[0] == "podmetrics" and not parts[:1] == ["apis"]:
            return None
        name = rest[1] if len(rest) > 1 else None
        return rest[0], namespace, name, watch

    def selected(self, resource, namespace, labels, fields):
        objs = [o for (ns, _), o in sorted(STORE.objects[resource].items())
                if (namespace is None or ns == namespace) and matches(o, labels, fields)]
        return objs

    def list(self, resource, namespace, labels, fields, q):
        prefix, kind, _ = RESOURCES[resource]
        limit = int(q.get("limit") or 0)
        token = q.get("continue")
        with STORE.lock:
            if token:
                try:
                    snap_id, offset = json.loads(base64.b64decode(token))
                except Exception:
                    return self.send_json(400, status(400, "BadRequest", "continue key is not valid"))
                snap = STORE.snapshots.get(snap_id)
                if snap is None:
                    return self.send_json(410, status(
                        410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result. "
                        "You can start a new list without the continue parameter, or use the continue token "
                        "in this response to retrieve the remainder of the results. Continuing with the provided "
                        "token results in an inconsistent list - objects that were created, modified, or deleted "
                        "between the time the first chunk was returned and now may show up in the list."))
                rv, objs = snap
            else:
                rv, objs = STORE.rv, self.selected(resource, namespace, labels, fields)
                offset = 0
                snap_id = None
            page = objs[offset:offset + limit] if limit else objs[offset:]
            more = limit and offset + limit < len(objs)
            cont = ""
            if more:
                if snap_id is None:
                    snap_id = uuid.uuid4().hex
                    STORE.snapshots[snap_id] = (rv, objs)
                cont = base64.b64encode(json.dumps([snap_id, offset + limit]).encode()).decode()
            body = {"kind": kind + "List", "apiVersion": prefix.split("/", 2)[-1] if prefix.startswith("/apis") else "v1",
                    "metadata": {"resourceVersion": str(rv)}, "items": page}
            if cont:
                body["metadata"]["continue"] = cont
                body["metadata"]["remainingItemCount"] = len(objs) - offset - limit
            if not token and more and STORE.pending_delete:
                for d in STORE.pending_delete:
                    STORE.delete(d["resource"], d.get("namespace"), d["name"])
                    if d.get("expire"):
                        # The snapshot is compacted away before the next page is asked for.
                        STORE.snapshots.clear()
                STORE.pending_delete = []
                STORE.lock.notify_all()
            data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, obj):
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, resource, namespace, labels, fields, q):
        deadline = time.time() + min(float(q.get("timeoutSeconds") or 1800), 1800)
        bookmarks = q.get("allowWatchBookmarks") == "true"
        initial = q.get("sendInitialEvents") == "true"
        rv_text = q.get("resourceVersion") or ""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            with STORE.lock:
                epoch = STORE.epoch
                if rv_text in ("", "0") or initial:
                    since = STORE.rv
                    for o in self.selected(resource, namespace, labels, fields):
                        self.chunk({"type": "ADDED", "object": o})
                    if initial:
                        self.chunk({"type": "BOOKMARK", "object": {
                            "kind": RESOURCES[resource][1], "apiVersion": "v1",
                            "metadata": {"resourceVersion": str(since),
                                         "annotations": {"k8s.io/initial-events-end": "true"}}}})
                else:
                    since = int(rv_text)
                    if since < STORE.compacted_rv - 1:
                        self.chunk({"type": "ERROR", "object": status(
                            410, "Expired", f"too old resource version: {since} ({STORE.compacted_rv})")})
                        self.wfile.write(b"0\r\n\r\n")
                        return
            last_bookmark = time.time()
            while time.time() < deadline:
                with STORE.lock:
                    if STORE.epoch != epoch:
                        self.chunk({"type": "ERROR", "object": status(
                            410, "Expired", f"too old resource version: {since} ({STORE.compacted_rv})")})
                        break
                    new = [(rv, t, o) for (rv, r, t, o) in STORE.log if r == resource and rv > since]
                    if not new:
                        STORE.lock.wait(timeout=min(0.5, max(0.0, deadline - time.time())))
                        new = [(rv, t, o) for (rv, r, t, o) in STORE.log if r == resource and rv > since]
                    top = STORE.rv
                for rv, t, o in new:
                    since = max(since, rv)
                    ns = o["metadata"].get("namespace", "")
                    if (namespace is None or ns == namespace) and matches(o, labels, fields):
                        self.chunk({"type": t, "object": o})
                if bookmarks and time.time() - last_bookmark > 1.0:
                    since = max(since, top)
                    self.chunk({"type": "BOOKMARK", "object": {
                        "kind": RESOURCES[resource][1], "apiVersion": "v1",
                        "metadata": {"resourceVersion": str(since)}}})
                    last_bookmark = time.time()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


def discovery(path):
    """The discovery documents clients such as kubectl read before a request."""
    core = [("pods", "pod", "Pod", True), ("events", "event", "Event", True),
            ("nodes", "node", "Node", False), ("namespaces", "namespace", "Namespace", False)]
    if path == "/version":
        return {"major": "1", "minor": "31", "gitVersion": "v1.31.2", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/apis":
        gv = {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [{"name": "metrics.k8s.io", "versions": [gv], "preferredVersion": gv}]}
    if path == "/api/v1":
        return {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": n, "singularName": s, "namespaced": ns, "kind": k, "verbs": ["get", "list", "watch"]}
            for n, s, k, ns in core]}
    if path == "/apis/metrics.k8s.io/v1beta1":
        return {"kind": "APIResourceList", "groupVersion": "metrics.k8s.io/v1beta1", "resources": [
            {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]}]}
    return None


def generate(store, pods, namespaces, seed=7):
    """`pods` pods over `namespaces` namespaces, as a busy cluster has them: most running,
    ~3% last terminated OOMKilled, ~5% restarting often, and an OOMKilling and a SystemOOM
    event for some of the OOM-killed ones."""
    rnd = random.Random(seed)
    for i in range(pods):
        ns = f"team-{i % namespaces:03d}"
        app = f"svc-{(i // namespaces) % 40:02d}"
        name = f"{app}-{i:05d}-{rnd.randrange(16**5):05x}"
        restarts = 0
        last = {}
        r = rnd.random()
        if r < 0.03:
            restarts = rnd.randrange(1, 30)
            last = {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                   "startedAt": "2026-11-24T01:00:00Z", "finishedAt": "2026-11-24T02:10:00Z",
                                   "containerID": "containerd://" + "%064x" % rnd.getrandbits(256)}}
        elif r < 0.08:
            restarts = rnd.randrange(6, 60)
            last = {"terminated": {"exitCode": 1, "reason": "Error",
                                   "startedAt": "2026-11-24T01:00:00Z", "finishedAt": "2026-11-24T01:30:00Z",
                                   "containerID": "containerd://" + "%064x" % rnd.getrandbits(256)}}
        pod = make_pod(ns, name, app, f"node-{i % 50:02d}", restarts, last, "%064x" % rnd.getrandbits(256))
        store.apply(pod)
        if last.get("terminated", {}).get("reason") == "OOMKilled" and rnd.random() < 0.5:
            store.apply(make_event(ns, name, pod["metadata"]["uid"], pod["spec"]["nodeName"]))


def make_pod(ns, name, app, node, restarts, last, cid):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app, "pod-template-hash": name.rsplit("-", 1)[-1]},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{app}-{name.rsplit('-', 1)[-1]}",
                                          "uid": str(uuid.uuid4()), "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": f"registry.example/{app}:1.4.2",
                                                   "resources": {"limits": {"memory": "512Mi", "cpu": "500m"},
                                                                 "requests": {"memory": "256Mi", "cpu": "100m"}}}]},
        "status": {"phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.7", "podIP": "10.244.1.9",
                   "startTime": "2026-11-23T09:00:00Z",
                   "containerStatuses": [{"name": "app", "ready": True, "started": True, "restartCount": restarts,
                                          "image": f"registry.example/{app}:1.4.2", "imageID": "sha256:" + "ab" * 32,
                                          "containerID": "containerd://" + cid,
                                          "state": {"running": {"startedAt": "2026-11-24T02:10:05Z"}},
                                          "lastState": last}]},
    }


def make_event(ns, pod, uid, node):
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{node}.oom.{uuid.uuid4().hex[:16]}", "namespace": "default"},
        "involvedObject": {"kind": "Node", "name": node, "uid": node},
        "reason": "OOMKilling", "type": "Warning", "count": 1,
        "message": f"Memory cgroup out of memory: Killed process 4242 (app) total-vm:1817324kB, anon-rss:524112kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1216kB oom_score_adj:-997 (pod {ns}/{pod})",
        "source": {"component": "kernel-monitor", "host": node},
        "firstTimestamp": "2026-11-24T02:10:00Z", "lastTimestamp": "2026-11-24T02:10:00Z",
        "reportingComponent": "kernel-monitor", "reportingInstance": node,
    }


class TlsServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that refuses our certificate ends the handshake: that is what tests check.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fixture", action="append", default=[])
    ap.add_argument("--generate", default="")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    with STORE.lock:
        for f in args.fixture:
            with open(f) as fh:
                for o in json.load(fh)["objects"]:
                    STORE.apply(o)
        if args.generate:
            pods, namespaces = (int(x) for x in args.generate.split(","))
            generate(STORE, pods, namespaces)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    if args.tls_cert:
        tls = TlsServer(("127.0.0.1", 0), Handler)
        tls.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in the request's thread, so a client that refuses the
        # certificate does not hold up the others.
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
        print(f"TLS_PORT {tls.server_address[1]}", flush=True)
    # Ends when the test that started it goes away (its stdin closes) or on SIGTERM.
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
