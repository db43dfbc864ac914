//! The float type `final.safetensors` is written in: the training precision by default, or one chosen to exchange
//! weights with PyTorch (`bf16` and `f16` are its usual half-precision exchange types).

use jetnewton_nets::StoreDtype;
use serde::{Deserialize, Serialize};

/// `save_dtype` in the config, `--save-dtype` on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SaveDtype {
    /// bfloat16: f32's range, 8 significant bits.
    Bf16,
    /// IEEE half precision: at most 65504, 11 significant bits.
    F16,
    /// Single precision.
    F32,
    /// Double precision.
    F64,
}

impl SaveDtype {
    /// The safetensors type it writes.
    pub fn store(self) -> StoreDtype {
        match self {
            Self::Bf16 => StoreDtype::BF16,
            Self::F16 => StoreDtype::F16,
            Self::F32 => StoreDtype::F32,
            Self::F64 => StoreDtype::F64,
        }
    }
}
