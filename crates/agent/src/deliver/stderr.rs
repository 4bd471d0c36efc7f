//! Alerts as JSON lines on stderr: results, not chatter, so they are printed even with `-q`.

use std::io::Write;

use leakscope_core::alert::Alert;

use super::{DeliveryError, Receiver};

/// The stderr receiver.
pub struct Stderr;

impl Receiver for Stderr {
    fn name(&self) -> String {
        "stderr".into()
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), DeliveryError> {
        let mut err = std::io::stderr().lock();
        for a in alerts {
            if let Ok(line) = serde_json::to_string(a) {
                // A closed stderr is nothing to retry.
                let _ = writeln!(err, "{line}");
            }
        }
        Ok(())
    }
}
