//! The CIFAR-10 binary batch reader, raw or gzip: any input gives a data set or an error, never a panic, an abort
//! or an oversized allocation.
#![no_main]

use jetnewton_fuzz::{origin, raw_or_gzip};
use jetnewton_nets::data::parse_cifar_batch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_cifar_batch(&raw_or_gzip(data), origin());
});
