//! Scrapes and webhooks against a real HTTP server on 127.0.0.1 started by the test, plus
//! the exposition parser on real client output and on malformed input.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use leakscope_probe::http::{self, HttpError};
use leakscope_probe::scrape::{parse_exposition, scrape, select, select_default, MetricSample};
use leakscope_probe::ProbeError;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(name);
    std::fs::read_to_string(&path).expect("fixture")
}

/// What the server got in one request.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A one-thread HTTP/1.1 server on 127.0.0.1:0. Routes: `/metrics` (the python fixture),
/// `/bad` (malformed exposition), `/big` (1 MiB), `/500`, `/hang` (never answers), `/hook`
/// (202, records the request). Every request is sent on the returned channel.
fn server() -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    let metrics = fixture("python_client.txt");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            let metrics = metrics.clone();
            thread::spawn(move || handle(stream, &metrics, &tx));
        }
    });
    (base, rx)
}

fn handle(stream: TcpStream, metrics: &str, tx: &mpsc::Sender<Seen>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.trim().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let _ = tx.send(Seen {
        method,
        path: path.clone(),
        headers,
        body,
    });
    let (status, payload): (&str, Vec<u8>) = match path.as_str() {
        "/metrics" => ("200 OK", metrics.as_bytes().to_vec()),
        "/bad" => ("200 OK", b"ok_metric 1\nbroken_metric{a=\"x\" 2\n".to_vec()),
        "/big" => ("200 OK", vec![b'#'; 1 << 20]),
        "/500" => (
            "500 Internal Server Error",
            b"boom: database on fire\n".to_vec(),
        ),
        "/hook" => ("202 Accepted", b"{}".to_vec()),
        "/hang" => {
            thread::sleep(Duration::from_secs(5));
            return;
        }
        _ => ("404 Not Found", b"no such page".to_vec()),
    };
    let mut out = stream;
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        payload.len()
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&payload);
}

/// A port nothing listens on: bind, note the port, close.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/metrics")
}

const T: Duration = Duration::from_secs(5);

#[test]
fn scrape_a_real_server_and_select_defaults() {
    let (base, seen) = server();
    let samples = scrape(&format!("{base}/metrics"), T).expect("scrape");
    assert_eq!(samples.len(), 20);
    let req = seen.recv().expect("request");
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/metrics")
    );
    let accept = req
        .headers
        .iter()
        .find(|(k, _)| k == "accept")
        .map(|(_, v)| v.as_str());
    assert!(
        accept.is_some_and(|a| a.contains("text/plain;version=0.0.4")),
        "{accept:?}"
    );

    let picked = select_default(&samples);
    let names: Vec<&str> = picked.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "process_resident_memory_bytes",
            "python_gc_objects_uncollectable_total"
        ]
    );
    assert!(picked[0].1 > 1e6);
    let cache = select(&samples, &["app_cache_bytes".to_string()]);
    assert_eq!(
        cache,
        vec![("app_cache_bytes".to_string(), 1048576.0 + 2.5e6)]
    );
    let users = select(&samples, &["app_cache_bytes{cache=\"users\"}".to_string()]);
    assert_eq!(users[0].1, 1048576.0);
}

#[test]
fn unreachable_port_is_unreachable() {
    let url = closed_port_url();
    let err = scrape(&url, T).expect_err("closed port");
    assert!(matches!(err, ProbeError::Unreachable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{url} is unreachable (Connection refused (os error 111)); is the service running and listening there?")
    );
    let raw = http::get(&url, T, 10).expect_err("closed port");
    assert!(matches!(raw, HttpError::Unreachable { .. }), "{raw:?}");
}

#[test]
fn a_server_that_hangs_times_out() {
    let (base, _seen) = server();
    let started = Instant::now();
    let err = scrape(&format!("{base}/hang"), Duration::from_millis(300)).expect_err("hangs");
    let took = started.elapsed();
    assert!(matches!(err, ProbeError::Timeout { .. }), "{err:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        err.to_string().contains("did not answer within 300 ms"),
        "{err}"
    );
}

#[test]
fn malformed_exposition_names_the_line() {
    let (base, _seen) = server();
    let err = scrape(&format!("{base}/bad"), T).expect_err("malformed");
    let msg = err.to_string();
    assert!(matches!(err, ProbeError::Parse { .. }), "{err:?}");
    assert!(
        msg.contains("line 2") && msg.contains("broken_metric"),
        "{msg}"
    );
}

#[test]
fn status_and_size_errors() {
    let (base, _seen) = server();
    let err = http::get(&format!("{base}/500"), T, 1 << 20).expect_err("500");
    match &err {
        HttpError::Status {
            status,
            body_excerpt,
            ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(body_excerpt, "boom: database on fire");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("{base}/500: HTTP status 500 (boom: database on fire)")
    );
    let err = http::get(&format!("{base}/big"), T, 1000).expect_err("too large");
    assert!(
        matches!(
            err,
            HttpError::TooLarge {
                max_bytes: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    let body = http::get(&format!("{base}/big"), T, 2 << 20).expect("fits");
    assert_eq!(body.len(), 1 << 20);
    let err = scrape(&format!("{base}/404"), T).expect_err("404");
    assert!(matches!(err, ProbeError::Http(_)), "{err:?}");
    // https is spoken now: a closed port is unreachable, not refused for its scheme.
    let err = scrape("https://127.0.0.1:1/metrics", T).expect_err("https");
    assert!(matches!(err, ProbeError::Unreachable { .. }), "{err:?}");
}

#[test]
fn post_json_sends_the_document() {
    let (base, seen) = server();
    let doc = serde_json::json!({"status": "firing", "alerts": [{"labels": {"alertname": "MemoryLeak"}}]});
    let status = http::post_json(&format!("{base}/hook"), &doc, T).expect("post");
    assert_eq!(status, 202);
    let req = seen.recv().expect("request");
    assert_eq!(req.method, "POST");
    assert!(req
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/json"));
    let back: serde_json::Value = serde_json::from_slice(&req.body).expect("json body");
    assert_eq!(back, doc);
    let err = http::post_json(&format!("{base}/500"), &doc, T).expect_err("500");
    assert!(
        matches!(err, HttpError::Status { status: 500, .. }),
        "{err:?}"
    );
    let err = http::post_json(&closed_port_url(), &doc, T).expect_err("closed");
    assert!(matches!(err, HttpError::Unreachable { .. }), "{err:?}");
}

fn find<'a>(samples: &'a [MetricSample], name: &str) -> Vec<&'a MetricSample> {
    samples.iter().filter(|s| s.name == name).collect()
}

#[test]
fn real_client_outputs_parse_in_both_formats() {
    for file in ["python_client.txt", "python_client.om.txt"] {
        let samples = parse_exposition(&fixture(file)).expect(file);
        let users = find(&samples, "app_cache_bytes");
        assert_eq!(users.len(), 2, "{file}");
        assert_eq!(
            users[0].labels,
            vec![
                ("cache".to_string(), "users".to_string()),
                (
                    "note".to_string(),
                    "quote \" backslash \\ newline \n end".to_string()
                ),
            ]
        );
        assert_eq!(find(&samples, "app_requests_total")[0].value, 42.0);
        assert_eq!(find(&samples, "python_gc_objects_collected_total").len(), 3);
    }
}

#[test]
fn real_node_prom_client_output_selects_the_node_defaults() {
    for (file, rss, used) in [
        ("node_prom_client.txt", 60379136.0, 10511248.0),
        ("node_prom_client.om.txt", 60563456.0, 10511816.0),
    ] {
        let samples = parse_exposition(&fixture(file)).expect(file);
        let picked = select_default(&samples);
        assert_eq!(
            picked,
            vec![
                ("nodejs_heap_size_used_bytes".to_string(), used),
                ("nodejs_heap_size_total_bytes".to_string(), 17522688.0),
                ("nodejs_external_memory_bytes".to_string(), 1947455.0),
                ("process_resident_memory_bytes".to_string(), rss),
            ],
            "{file}"
        );
        let inf = samples
            .iter()
            .find(|s| {
                s.name == "http_request_duration_seconds_bucket"
                    && s.labels.iter().any(|(k, v)| k == "le" && v == "+Inf")
            })
            .expect("+Inf bucket");
        assert_eq!(inf.value, 2.0);
        // Per-space heap gauges sum over the space label.
        let spaces = select(&samples, &["nodejs_heap_space_size_used_bytes".to_string()]);
        assert_eq!(spaces.len(), 1);
        assert!(
            spaces[0].1 > 1e6 && spaces[0].1 <= used * 1.01,
            "{spaces:?}"
        );
    }
}

#[test]
fn exposition_edge_cases() {
    let text = "# a plain comment\n\
        #   HELP  m  some help with \\n escapes\n\
        # TYPE m gauge\n\
        m 1 1700000000000\n\
        m{a=\"1\",} 2\n\
        m { a = \"2\" , b=\"x\" } +Inf\n\
        m{a=\"3\"} -Inf\n\
        m{a=\"4\"} NaN\n\
        m{a=\"5\"}\t1.5e3\t1700000000.123\n\
        {\"my.dotted.metric\", a=\"1\"} 7\n\
        h_bucket{le=\"+Inf\"} 3 # {trace_id=\"abc\"} 0.5 1700000000\n\
        \r\n\
        # EOF\n\
        this is after EOF and ignored\n";
    let s = parse_exposition(text).expect("parses");
    assert_eq!(s.len(), 8);
    assert_eq!(s[0].value, 1.0);
    assert_eq!(s[1].labels, vec![("a".to_string(), "1".to_string())]);
    assert_eq!(s[2].value, f64::INFINITY);
    assert_eq!(s[2].labels.len(), 2);
    assert_eq!(s[3].value, f64::NEG_INFINITY);
    assert!(s[4].value.is_nan());
    assert_eq!(s[5].value, 1500.0);
    assert_eq!(s[6].name, "my.dotted.metric");
    assert_eq!(s[7].name, "h_bucket");
    assert!(parse_exposition("").expect("empty").is_empty());
}

#[test]
fn malformed_lines_are_errors_that_name_them() {
    let cases: &[(&str, &str)] = &[
        ("m{a=\"1\" 2", "expected ',' or '}'"),
        ("m{a=1} 2", "expected a quoted value"),
        ("m{a\"1\"} 2", "expected '='"),
        ("m{a=\"1} 2", "unterminated"),
        ("m", "missing value"),
        ("m abc", "not a number"),
        ("m 1 notatime", "timestamp"),
        ("m 1 2 3", "unexpected text"),
        ("9m 1", "expected a metric name"),
        ("m{a=\"1\",a=\"2\"} 1", "duplicate label"),
        ("# TYPE m weird", "unknown metric type"),
        ("# TYPE", "without a metric name"),
        ("{} 1", "expected a metric name"),
    ];
    for (line, want) in cases {
        let text = format!("ok 1\n{line}\n");
        let err = parse_exposition(&text).expect_err(line);
        assert_eq!(err.line, 2, "{line}");
        assert!(err.message.contains(want), "{line:?}: {err}");
        assert!(err.to_string().starts_with("line 2: "), "{err}");
    }
}
