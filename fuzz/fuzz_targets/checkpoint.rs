//! The checkpoint loader, in both training precisions: any input gives a checkpoint or an error, never a panic,
//! an abort or an oversized allocation.
#![no_main]

use jetnewton::run::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;

// Linked for its allocator cap, which every target shares.
use jetnewton_fuzz as _;

fuzz_target!(|data: &[u8]| {
    let _ = Checkpoint::<f32>::from_bytes(data);
    let _ = Checkpoint::<f64>::from_bytes(data);
});
