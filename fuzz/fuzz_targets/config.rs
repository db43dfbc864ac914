//! The training config parser, then its validation when it parses: any input gives a config or an error, never
//! a panic, an abort or an oversized allocation.
#![no_main]

use jetnewton::train::TrainConfig;
use libfuzzer_sys::fuzz_target;

// Linked for its allocator cap, which every target shares.
use jetnewton_fuzz as _;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = TrainConfig::from_toml(text) {
        let _ = config.validate();
    }
});
