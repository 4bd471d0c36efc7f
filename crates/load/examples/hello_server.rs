//! A trivial, fast HTTP/1.1 server for benchmarking load generators:
//! every request gets `200 OK` with a 13-byte body.
//!
//! ```text
//! cargo run --release -p leakscope-load --example hello_server -- --port 8080 --threads 1
//! ```
//! Listens on 127.0.0.1 only and prints `listening on 127.0.0.1:<port>`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::process::ExitCode;

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

fn main() -> ExitCode {
    let mut port = 0u16;
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v.parse().map(|p| port = p).is_ok(),
            ("--threads", Some(v)) => v.parse().map(|t| threads = t).is_ok() && threads > 0,
            _ => false,
        };
        if !parsed {
            eprintln!("usage: hello_server [--port N] [--threads N]");
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
                return ExitCode::from(2);
            }
        };
        match listener.local_addr() {
            Ok(addr) => println!("listening on {addr}"),
            Err(e) => eprintln!("local_addr: {e}"),
        }
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            });
        }
    })
}
