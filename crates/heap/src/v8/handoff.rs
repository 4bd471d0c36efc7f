//! Values and signals handed between stages that run at the same time: a [`Slot`] carries
//! one lane's result to the other lane of an analysis; a [`Gate`] holds a background
//! reader back until the analysis beside it has freed its largest temporary memory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// A value handed from one lane of `analyze_with` to the other. Waiting runs other pool
/// work first, so a lane still queued on this thread (a one-thread pool) runs rather than
/// deadlocks.
pub struct Slot<'a, T> {
    cell: OnceLock<T>,
    lock: Mutex<()>,
    ready: Condvar,
    /// Set when the lane that fills the slot panicked: waiting would never end.
    failed: &'a AtomicBool,
}

impl<'a, T> Slot<'a, T> {
    pub fn new(failed: &'a AtomicBool) -> Self {
        Self {
            cell: OnceLock::new(),
            lock: Mutex::new(()),
            ready: Condvar::new(),
            failed,
        }
    }

    /// Hand the value over (once).
    pub fn put(&self, v: T) {
        let _ = self.cell.set(v);
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.ready.notify_all();
    }

    /// The value, once the other lane has put it.
    pub fn get(&self) -> &T {
        loop {
            if let Some(v) = self.cell.get() {
                return v;
            }
            if self.failed.load(Ordering::Acquire) {
                panic!("the lane computing this value panicked");
            }
            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                continue;
            }
            let g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            if self.cell.get().is_some() {
                continue;
            }
            // Nothing to run here: the other lane is on another thread. Sleep until it
            // hands the value over (the timeout looks for pool work again).
            let _ = self
                .ready
                .wait_timeout(g, std::time::Duration::from_millis(1));
        }
    }

    pub fn into_inner(self) -> Option<T> {
        self.cell.into_inner()
    }
}

/// Marks a lane's slots as never to be filled if the lane unwinds.
pub struct LaneGuard<'a>(pub &'a AtomicBool);

impl Drop for LaneGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Release);
        }
    }
}

/// Closed until opened, once; waiting blocks the (non-pool) thread.
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self {
            open: Mutex::new(false),
            opened: Condvar::new(),
        }
    }

    /// Open the gate for every waiter, now and later.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Block until the gate is open.
    pub fn wait(&self) {
        let mut g = self.open.lock().unwrap_or_else(|p| p.into_inner());
        while !*g {
            g = self.opened.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens a gate when dropped, so a waiter is released even if the stage that should open
/// it fails or unwinds first.
pub struct OpenOnDrop<'a>(pub &'a Gate);

impl Drop for OpenOnDrop<'_> {
    fn drop(&mut self) {
        self.0.open();
    }
}
