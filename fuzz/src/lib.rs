//! What the fuzz targets share: an allocator that refuses oversized requests, the name the inputs are given in
//! errors, and the choice between feeding an input raw or gzip-compressed.
//!
//! Every target asserts the same three things and nothing else: the reader under test does not panic, does not
//! abort, and does not try to allocate memory out of proportion to its input. libFuzzer reports the first two
//! itself. The third is [`CappedAllocator`]'s job: an allocation request above [`MAX_ALLOCATION`] fails, so the
//! process aborts with "memory allocation of N bytes failed" and libFuzzer saves the input. (libFuzzer's own
//! `-malloc_limit_mb` needs a sanitizer's allocator hooks; this check works with `--sanitizer none` too, and
//! catches a reservation that is never touched, which `-rss_limit_mb` cannot see.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

/// The largest single allocation a reader may request. The targets' inputs are at most tens of kilobytes, and
/// a legitimate reader needs a small multiple of that (a gzip input decompresses to at most ~1 032 times its
/// size); anything above this was sized from a number inside the input rather than from the input's length.
pub const MAX_ALLOCATION: usize = 256 << 20;

/// The system allocator, refusing any single request above [`MAX_ALLOCATION`] bytes.
pub struct CappedAllocator;

// SAFETY: every call is forwarded unchanged to `System`, or answered with null, which `GlobalAlloc` allows for
// any request that cannot be met.
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` requires too.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from `System` through this allocator, with this `layout`; the caller upholds the
        // rest of `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CappedAllocator = CappedAllocator;

/// The file name the targets give their inputs, so that errors have something to name.
pub fn origin() -> &'static Path {
    Path::new("fuzz-input")
}

/// The bytes a reader that accepts raw or gzip files is given: the first byte of `data` chooses. Odd: the rest
/// of `data` gzip-compressed, so that mutations reach the format's decoder behind a valid gzip stream (mutating
/// a gzip file itself mostly breaks its checksum). Even: the rest as it is, which still reaches the gzip decoder,
/// with corrupt streams, when it starts with the gzip magic bytes.
pub fn raw_or_gzip(data: &[u8]) -> Cow<'_, [u8]> {
    match data.split_first() {
        Some((mode, rest)) if mode & 1 == 1 => {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            // Writing into a Vec cannot fail.
            let _ = encoder.write_all(rest);
            Cow::Owned(encoder.finish().unwrap_or_default())
        }
        Some((_, rest)) => Cow::Borrowed(rest),
        None => Cow::Borrowed(&[]),
    }
}
