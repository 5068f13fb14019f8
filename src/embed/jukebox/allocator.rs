//! Asks the C allocator to keep freed memory for reuse instead of returning it to the
//! system.
//!
//! Every candle operation writes a fresh buffer; at 8192 tokens x 1024-4800 channels
//! these are 32-160 MB, above glibc's largest mmap threshold (32 MB), so by default each
//! is a new memory mapping that the kernel faults in and zeroes page by page and unmaps
//! when it is freed: a quarter of a CPU forward pass of the prior went to page faults.
//! With mmap allocation off and heap trimming out of reach, a freed buffer is reused by
//! the next allocation of its size. The setting is process-wide and only affects glibc
//! (Linux); memory the prior used stays with the process until it exits.

use std::sync::Once;

/// Turns glibc's mmap allocation and heap trimming off, once per process.
pub fn retain_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(set_malloc_options);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_malloc_options() {
    // glibc's malloc.h: M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4.
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_MAX: i32 = -4;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only changes allocator tunables; both values are valid for them
    // (a 0 mmap count disables mmap; any trim threshold is accepted).
    unsafe {
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, i32::MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_malloc_options() {}
