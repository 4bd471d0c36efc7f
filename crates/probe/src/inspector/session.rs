//! A session that leaves the Node process as it was found: when it ends — closed, or dropped
//! on an error, an interruption or a panic — it ends the CDP session and, when leakscope
//! opened the inspector, stops it and checks that its port is closed. An open inspector is
//! an unauthenticated code-execution endpoint on loopback; it must not outlive leakscope.

use std::net::{SocketAddr, TcpStream};
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::{split_url, Inspector, InspectorError, InspectorUrl};

/// How long closing waits for a call still running in the target: V8 cannot abandon a heap
/// snapshot half-way, and the target answers nothing else (not even the request to close
/// its inspector) until the snapshot is written.
pub const CLOSE_WAIT: Duration = Duration::from_secs(120);

/// How long after `process._debugEnd()` the inspector's port may take to close. The target
/// runs `_debugEnd` from a timer on its event loop and closes the port on its inspector
/// thread, both late when the host is starved: in CI, with nine captures of loaded services
/// side by side on two cores, one port was still open after 3 s. A port that closes sooner
/// ends the wait at once.
const PORT_CLOSE_WAIT: Duration = Duration::from_secs(15);

/// A CDP session with a Node inspector; derefs to [`Inspector`] for the calls.
pub struct Session {
    inspector: Option<Inspector>,
    url: InspectorUrl,
}

impl Session {
    /// Connect to the inspector at `url`. When that fails and leakscope opened it, it is
    /// closed through a fresh connection before the error is returned.
    pub fn connect(url: InspectorUrl) -> Result<Session, InspectorError> {
        match Inspector::connect(&url.ws_url) {
            Ok(inspector) => Ok(Session {
                inspector: Some(inspector),
                url,
            }),
            Err(e) => {
                if url.opened_by_us {
                    let mut retry = Session {
                        inspector: Inspector::connect(&url.ws_url).ok(),
                        url: url.clone(),
                    };
                    if let Err(close) = retry.finish() {
                        return Err(InspectorError::StillOpen {
                            url: url.http_base.clone(),
                            why: format!("{e}; then {close}"),
                        });
                    }
                }
                Err(e)
            }
        }
    }

    /// Where the inspector listens, and whether leakscope opened it.
    pub fn url(&self) -> &InspectorUrl {
        &self.url
    }

    /// End the session; stop the inspector if leakscope opened it, and check that it is gone
    /// ([`InspectorError::StillOpen`] if not).
    pub fn close(mut self) -> Result<(), InspectorError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), InspectorError> {
        let ours = self.url.opened_by_us;
        let closed = match self.inspector.take() {
            Some(inspector) => inspector.close(ours, CLOSE_WAIT),
            None if ours => Err(InspectorError::Protocol("no connection to close it".into())),
            None => Ok(()),
        };
        if !ours {
            // Not ours to stop: ending our session is all there is to do.
            return Ok(());
        }
        let still_open = |why: String| InspectorError::StillOpen {
            url: self.url.http_base.clone(),
            why,
        };
        closed.map_err(|e| still_open(e.to_string()))?;
        if port_closes(&self.url.http_base, PORT_CLOSE_WAIT) {
            Ok(())
        } else {
            Err(still_open(format!(
                "its port still accepts connections {} s after process._debugEnd()",
                PORT_CLOSE_WAIT.as_secs()
            )))
        }
    }
}

/// True once connections to `http_base` are refused (checked until `wait` passes).
fn port_closes(http_base: &str, wait: Duration) -> bool {
    let Some((host, port, _)) = split_url(http_base) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let Ok(addr) = format!("{ip}:{port}")
        .parse::<SocketAddr>()
        .or_else(|_| format!("[{ip}]:{port}").parse::<SocketAddr>())
    else {
        return false;
    };
    let deadline = Instant::now() + wait;
    loop {
        // Only a refusal says nothing listens: a connect that times out (a starved target
        // whose accept queue is full, a loaded machine) says nothing either way.
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Deref for Session {
    type Target = Inspector;
    fn deref(&self) -> &Inspector {
        self.inspector
            .as_ref()
            .expect("a Session holds its inspector until it is closed")
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Inspector {
        self.inspector
            .as_mut()
            .expect("a Session holds its inspector until it is closed")
    }
}

impl Drop for Session {
    /// The last line of defence: a session dropped on an error path or during a panic still
    /// closes the inspector leakscope opened. Said on stderr when even that fails, because
    /// an open inspector must not go unnoticed.
    fn drop(&mut self) {
        if self.inspector.is_none() {
            return;
        }
        if let Err(e) = self.finish() {
            eprintln!("leakscope: warning: {e}");
        }
    }
}
