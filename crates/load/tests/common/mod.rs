//! A real HTTP/1.1 server on 127.0.0.1:0 for the integration tests.
//!
//! Routes: `/fail...` answers 500, `/slow...` answers after 2 s, `/close...`
//! answers with `Connection: close`, anything else 200 `hello`. Every request
//! path is recorded.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running test server; it lives until the test process exits.
pub struct TestServer {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    paths: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Starts the server on its own thread and runtime.
    pub fn start() -> TestServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&paths);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let recorded = Arc::clone(&recorded);
                    tokio::spawn(async move {
                        let service = service_fn(move |req| handle(req, Arc::clone(&recorded)));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        TestServer { port, paths }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Every request path (with query) received so far.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().expect("paths").clone()
    }
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    recorded: Arc<Mutex<Vec<String>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(String::new, |p| p.to_string());
    recorded.lock().expect("paths").push(path.clone());
    let mut response = Response::new(Full::new(Bytes::from_static(b"hello")));
    if path.starts_with("/fail") {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    } else if path.starts_with("/slow") {
        tokio::time::sleep(Duration::from_secs(2)).await;
    } else if path.starts_with("/close") {
        response
            .headers_mut()
            .insert(hyper::header::CONNECTION, "close".parse().expect("value"));
    }
    Ok(response)
}
