//! Every kernel entry point, by source file: the names are the ABI between the `.cu` files and the
//! Rust wrappers in [`crate::ops`], written once here.
//!
//! Tests hold this table to the truth: the host build must register exactly these names, and with
//! the `cuda` feature the PTX of each source must define exactly these `.entry` points.

use crate::elem::{DType, Real};

/// One entry point in its f32 and f64 instantiations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// The `float` instantiation.
    pub f32: &'static str,
    /// The `double` instantiation.
    pub f64: &'static str,
}

impl Pair {
    /// The instantiation for `T`.
    pub fn of<T: Real>(&self) -> &'static str {
        match T::DTYPE {
            DType::F32 => self.f32,
            DType::F64 => self.f64,
        }
    }

    /// Both names.
    pub fn names(&self) -> [&'static str; 2] {
        [self.f32, self.f64]
    }
}

/// A kernel source `cu/<name>.cu` and its entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// The file stem, also the key of its PTX ([`crate::ptx::ptx`]).
    pub name: &'static str,
    /// Entry points instantiated for f32 and f64.
    pub pairs: &'static [Pair],
    /// Entry points with a single instantiation.
    pub singles: &'static [&'static str],
}

impl Module {
    /// Every entry point of the source.
    pub fn entries(&self) -> impl Iterator<Item = &'static str> {
        self.pairs
            .iter()
            .flat_map(|p| p.names())
            .chain(self.singles.iter().copied())
    }
}

macro_rules! pair {
    ($name:literal) => {
        Pair {
            f32: concat!($name, "_f32"),
            f64: concat!($name, "_f64"),
        }
    };
}

/// `matmul.cu`: the batched, summed tiled GEMM.
pub const MATMUL: Pair = pair!("matmul");
/// `arith.cu`: `out = a·x + b·out`.
pub const AXPBY: Pair = pair!("axpby");
/// `arith.cu`: `out (+)= x ⊙ y`.
pub const MUL: Pair = pair!("mul");
/// `arith.cu`: a cubic polynomial, elementwise.
pub const POLY: Pair = pair!("poly");
/// `arith.cu`: a `[mid]` tensor repeated over outer and inner axes.
pub const BROADCAST_MID: Pair = pair!("broadcast_mid");
/// `arith.cu`: the adjoint of [`BROADCAST_MID`], a sum over outer and inner axes.
pub const SUM_MID: Pair = pair!("sum_mid");
/// `arith.cu`: the adjoint of a gather, from the inverse index map in CSR form.
pub const SCATTER_CSR: Pair = pair!("scatter_csr");
/// `conv.cu`: columns of a convolution.
pub const IM2COL: Pair = pair!("im2col");
/// `conv.cu`: the adjoint of [`IM2COL`].
pub const COL2IM: Pair = pair!("col2im");
/// `pool.cu`: max-pooling with its argmax.
pub const MAX_POOL: Pair = pair!("max_pool");
/// `pool.cu`: the adjoint of max-pooling at a fixed argmax.
pub const MAX_POOL_ADJOINT: Pair = pair!("max_pool_adjoint");
/// `pool.cu`: average pooling.
pub const AVG_POOL: Pair = pair!("avg_pool");
/// `pool.cu`: the adjoint of average pooling.
pub const AVG_POOL_ADJOINT: Pair = pair!("avg_pool_adjoint");
/// `pool.cu`: `y[i] = x[index[i]]`.
pub const GATHER: Pair = pair!("gather");
/// `log_softmax.cu`: log-softmax and its jet.
pub const LOG_SOFTMAX_JET: Pair = pair!("log_softmax_jet");
/// `log_softmax.cu`: the reverse rule of log-softmax lifted to jets.
pub const LOG_SOFTMAX_JET_VJP: Pair = pair!("log_softmax_jet_vjp");
/// `log_softmax.cu`: mean negative log-likelihood of the labels, per coefficient.
pub const CROSS_ENTROPY: Pair = pair!("cross_entropy");
/// `log_softmax.cu`: gradient of the mean cross-entropy with respect to the logits.
pub const CROSS_ENTROPY_GRAD: Pair = pair!("cross_entropy_grad");
/// `contract.cu`: per-block partial sums of many dot products.
pub const DOT_PARTIALS: Pair = pair!("dot_partials");
/// `contract.cu`: row sums of an f64 matrix (finishes [`DOT_PARTIALS`]).
pub const SUM_ROWS_F64: &str = "sum_rows_f64";

/// `elementwise_jet.cu`: the forward jet and lifted vjp of each activation.
pub const TANH_JET: Pair = pair!("tanh_jet");
/// See [`TANH_JET`].
pub const TANH_JET_VJP: Pair = pair!("tanh_jet_vjp");
/// See [`TANH_JET`].
pub const SIGMOID_JET: Pair = pair!("sigmoid_jet");
/// See [`TANH_JET`].
pub const SIGMOID_JET_VJP: Pair = pair!("sigmoid_jet_vjp");
/// See [`TANH_JET`].
pub const ELU_JET: Pair = pair!("elu_jet");
/// See [`TANH_JET`].
pub const ELU_JET_VJP: Pair = pair!("elu_jet_vjp");
/// See [`TANH_JET`].
pub const EXP_JET: Pair = pair!("exp_jet");
/// See [`TANH_JET`].
pub const EXP_JET_VJP: Pair = pair!("exp_jet_vjp");
/// See [`TANH_JET`].
pub const RELU_JET: Pair = pair!("relu_jet");
/// See [`TANH_JET`].
pub const RELU_JET_VJP: Pair = pair!("relu_jet_vjp");

/// Every kernel source, sorted by name.
pub const MODULES: &[Module] = &[
    Module {
        name: "arith",
        pairs: &[AXPBY, MUL, POLY, BROADCAST_MID, SUM_MID, SCATTER_CSR],
        singles: &[],
    },
    Module {
        name: "contract",
        pairs: &[DOT_PARTIALS],
        singles: &[SUM_ROWS_F64],
    },
    Module {
        name: "conv",
        pairs: &[IM2COL, COL2IM],
        singles: &[],
    },
    Module {
        name: "elementwise_jet",
        pairs: &[
            TANH_JET,
            TANH_JET_VJP,
            SIGMOID_JET,
            SIGMOID_JET_VJP,
            ELU_JET,
            ELU_JET_VJP,
            EXP_JET,
            EXP_JET_VJP,
            RELU_JET,
            RELU_JET_VJP,
        ],
        singles: &[],
    },
    Module {
        name: "log_softmax",
        pairs: &[
            LOG_SOFTMAX_JET,
            LOG_SOFTMAX_JET_VJP,
            CROSS_ENTROPY,
            CROSS_ENTROPY_GRAD,
        ],
        singles: &[],
    },
    Module {
        name: "matmul",
        pairs: &[MATMUL],
        singles: &[],
    },
    Module {
        name: "pool",
        pairs: &[
            MAX_POOL,
            MAX_POOL_ADJOINT,
            AVG_POOL,
            AVG_POOL_ADJOINT,
            GATHER,
        ],
        singles: &[],
    },
];

/// The source that defines entry point `name`.
pub fn module_of(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.entries().any(|e| e == name))
}

/// Every entry point, sorted.
pub fn all() -> Vec<&'static str> {
    let mut names: Vec<_> = MODULES.iter().flat_map(|m| m.entries()).collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_typed() {
        let names = all();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup);
        assert_eq!(MATMUL.of::<f32>(), "matmul_f32");
        assert_eq!(MATMUL.of::<f64>(), "matmul_f64");
        assert_eq!(module_of("sum_rows_f64").map(|m| m.name), Some("contract"));
    }

    #[test]
    fn every_source_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cu");
        let mut stems: Vec<String> = std::fs::read_dir(dir)
            .expect("kernels/cu")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cu"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        stems.sort();
        let listed: Vec<&str> = MODULES.iter().map(|m| m.name).collect();
        assert_eq!(stems, listed);
    }
}
