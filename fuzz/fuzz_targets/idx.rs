//! The IDX reader (MNIST, Fashion-MNIST), raw or gzip, as images and as labels: any input gives a value or an
//! error, never a panic, an abort or an allocation sized by a header rather than by the input.
#![no_main]

use jetnewton_fuzz::{origin, raw_or_gzip};
use jetnewton_nets::data::{parse_idx_images, parse_idx_labels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = raw_or_gzip(data);
    let _ = parse_idx_images(&bytes, origin());
    let _ = parse_idx_labels(&bytes, origin());
});
