//! The safetensors readers of `jetnewton-nets`: the weights loader (in both precisions) and the batch loader, for
//! a small fixed model. Any input gives a value or an error, never a panic, an abort or an oversized allocation.
#![no_main]

use std::sync::LazyLock;

use jetnewton_fuzz::origin;
use jetnewton_nets::{BatchData, Model, Params};
use libfuzzer_sys::fuzz_target;

/// The model every input is read for; the seed corpus holds its weights and a batch for it.
static MODEL: LazyLock<Option<Model>> = LazyLock::new(|| Model::from_spec("mlp:4-3-2:tanh").ok());

fuzz_target!(|data: &[u8]| {
    let Some(model) = MODEL.as_ref() else {
        return;
    };
    let _ = Params::<f32>::from_safetensors(data, origin(), model);
    let _ = Params::<f64>::from_safetensors(data, origin(), model);
    let _ = BatchData::<f32>::from_safetensors(data, origin(), model);
});
