//! A global allocator that recycles large freed blocks.
//!
//! Heap analysis allocates and frees many arrays of tens of MiB (one per node or edge of a
//! snapshot). glibc serves each from a fresh `mmap`, so every 4 KiB page of every array costs a
//! page fault and a kernel zeroing, again for each snapshot: on a 330 MB snapshot that was a
//! fifth of the CPU time. Here a freed block of at least [`MIN_BLOCK`] bytes is kept (up to
//! [`MAX_CACHED_BYTES`] in all) and the next large allocation takes it, resized with `realloc`
//! (an `mremap` for such blocks: no copy; a shrink returns the tail pages to the kernel).
//!
//! Cached blocks stay resident, so the budget is small next to what a heap analysis holds, and
//! only blocks plain `malloc` can serve (alignment ≤ 16) take part. A process that stays up
//! (`watch`, `run`) calls [`Recycler::stop_keeping`]: it may diagnose once an hour, and the
//! cache would hold up to the budget in the very container whose memory it watches.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Blocks smaller than this go straight to the system allocator.
pub const MIN_BLOCK: usize = 4 << 20;
/// At most this many bytes wait in the cache.
pub const MAX_CACHED_BYTES: usize = 256 << 20;
const SLOTS: usize = 16;
/// malloc's guaranteed alignment on 64-bit glibc.
const MALLOC_ALIGN: usize = 16;

/// Keep glibc from raising its mmap threshold as big blocks are freed (it goes up to 32 MiB):
/// arrays of a few MiB then stay separate mappings, which `realloc` resizes without copying
/// and `free` returns to the kernel, instead of fragmenting the heap.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

struct Cache {
    blocks: [(usize, usize); SLOTS], // (address, size); address 0 = empty slot
    bytes: usize,
}

/// The recycling allocator.
pub struct Recycler {
    cache: Mutex<Cache>,
    /// False once [`Recycler::stop_keeping`] was called: every block goes back at once.
    keeping: AtomicBool,
}

impl Recycler {
    /// An empty recycler (usable in a `static`).
    pub const fn new() -> Self {
        Self {
            cache: Mutex::new(Cache {
                blocks: [(0, 0); SLOTS],
                bytes: 0,
            }),
            keeping: AtomicBool::new(true),
        }
    }

    /// Keep no freed block from now on, and give back those kept.
    pub fn stop_keeping(&self) {
        self.keeping.store(false, Ordering::Relaxed);
        let Ok(mut c) = self.cache.lock() else {
            return;
        };
        for b in &mut c.blocks {
            if b.0 != 0 {
                // SAFETY: cached blocks came from malloc and are owned by the cache alone.
                unsafe { libc::free(b.0 as *mut libc::c_void) };
                *b = (0, 0);
            }
        }
        c.bytes = 0;
    }

    fn eligible(layout: &Layout) -> bool {
        layout.size() >= MIN_BLOCK && layout.align() <= MALLOC_ALIGN
    }

    /// Take the cached block that best fits `size`: the smallest at least as large, else the
    /// largest. Resized to exactly `size`, so it is freed like any block of that layout.
    fn take(&self, size: usize) -> *mut u8 {
        let (addr, _) = {
            let Ok(mut c) = self.cache.lock() else {
                return std::ptr::null_mut();
            };
            let mut best: Option<usize> = None;
            for (i, &(a, s)) in c.blocks.iter().enumerate() {
                if a == 0 {
                    continue;
                }
                best = match best {
                    None => Some(i),
                    Some(j) => {
                        let bs = c.blocks[j].1;
                        let better = if s >= size {
                            bs < size || s < bs
                        } else {
                            bs < size && s > bs
                        };
                        Some(if better { i } else { j })
                    }
                };
            }
            let Some(i) = best else {
                return std::ptr::null_mut();
            };
            let b = c.blocks[i];
            c.blocks[i] = (0, 0);
            c.bytes -= b.1;
            b
        };
        // SAFETY: `addr` came from malloc (System with alignment ≤ 16) and is owned by the
        // cache alone; realloc either returns a block of `size` bytes or null and leaves it.
        let p = unsafe { libc::realloc(addr as *mut libc::c_void, size) } as *mut u8;
        if p.is_null() {
            // SAFETY: realloc failed, so `addr` is still ours to free.
            unsafe { libc::free(addr as *mut libc::c_void) };
        }
        p
    }

    /// Keep a freed block; false when the cache is full (the caller frees it).
    fn keep(&self, ptr: *mut u8, size: usize) -> bool {
        if !self.keeping.load(Ordering::Relaxed) {
            return false;
        }
        let Ok(mut c) = self.cache.lock() else {
            return false;
        };
        if c.bytes + size > MAX_CACHED_BYTES {
            return false;
        }
        let Some(slot) = c.blocks.iter().position(|&(a, _)| a == 0) else {
            return false;
        };
        c.blocks[slot] = (ptr as usize, size);
        c.bytes += size;
        true
    }
}

impl Default for Recycler {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every block handed out is either System's or a malloc block resized to the layout's
// size with realloc; alignment ≤ 16 is what malloc guarantees, and larger alignments bypass
// the cache. System uses malloc/free for such layouts, so the two mix.
unsafe impl GlobalAlloc for Recycler {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if Self::eligible(&layout) {
            let p = self.take(layout.size());
            if !p.is_null() {
                return p;
            }
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if Self::eligible(&layout) {
            let p = self.take(layout.size());
            if !p.is_null() {
                // SAFETY: `p` points to `layout.size()` writable bytes.
                unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                return p;
            }
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::eligible(&layout) && self.keep(ptr, layout.size()) {
            return;
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_resized_and_zeroed() {
        let r = Recycler::new();
        let big = Layout::from_size_align(MIN_BLOCK * 2, 8).expect("layout");
        let small = Layout::from_size_align(MIN_BLOCK, 8).expect("layout");
        // SAFETY: layouts are non-zero; every block is freed with the layout it was made with.
        unsafe {
            let a = r.alloc(big);
            assert!(!a.is_null());
            std::ptr::write_bytes(a, 0xAB, big.size());
            r.dealloc(a, big);
            assert_eq!(r.cache.lock().expect("lock").bytes, big.size());
            let b = r.alloc_zeroed(small);
            assert!(!b.is_null());
            assert_eq!(r.cache.lock().expect("lock").bytes, 0);
            assert!(std::slice::from_raw_parts(b, small.size())
                .iter()
                .all(|&x| x == 0));
            r.dealloc(b, small);
            let c = r.alloc(big);
            std::ptr::write_bytes(c, 1, big.size());
            r.dealloc(c, big);
            let tiny = Layout::from_size_align(64, 8).expect("layout");
            let d = r.alloc(tiny);
            assert_eq!(r.cache.lock().expect("lock").bytes, big.size());
            r.dealloc(d, tiny);
        }
    }

    #[test]
    fn the_budget_is_kept() {
        let r = Recycler::new();
        let l = Layout::from_size_align(MAX_CACHED_BYTES / 2 + 1, 8).expect("layout");
        // SAFETY: as above.
        unsafe {
            let a = r.alloc(l);
            let b = r.alloc(l);
            r.dealloc(a, l);
            r.dealloc(b, l);
        }
        assert_eq!(r.cache.lock().expect("lock").bytes, l.size());
    }

    #[test]
    fn a_recycler_that_stopped_keeping_gives_every_block_back() {
        let r = Recycler::new();
        let l = Layout::from_size_align(MIN_BLOCK, 8).expect("layout");
        // SAFETY: as above.
        unsafe {
            let a = r.alloc(l);
            let b = r.alloc(l);
            r.dealloc(a, l);
            assert_eq!(r.cache.lock().expect("lock").bytes, l.size());
            r.stop_keeping();
            assert_eq!(r.cache.lock().expect("lock").bytes, 0);
            assert!(r
                .cache
                .lock()
                .expect("lock")
                .blocks
                .iter()
                .all(|b| b.0 == 0));
            r.dealloc(b, l);
        }
        assert_eq!(r.cache.lock().expect("lock").bytes, 0);
    }
}
