//! The PTX of each kernel source, embedded at build time.
//!
//! `build.rs` compiles `cu/<name>.cu` to `$OUT_DIR/<name>.ptx`; it is embedded only with the
//! `cuda` feature and when nvcc was found (otherwise the build sets `--cfg jetnewton_no_ptx`).

/// Every kernel source, by name (the `.cu` file's stem), as in [`crate::entries::MODULES`].
pub const KERNELS: &[&str] = &[
    "arith",
    "contract",
    "conv",
    "elementwise_jet",
    "log_softmax",
    "matmul",
    "pool",
];

/// `include_str!` of `$OUT_DIR/<name>.ptx` for each name.
#[cfg(all(feature = "cuda", not(jetnewton_no_ptx)))]
macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("OUT_DIR"), "/", $name, ".ptx")))),*]
    };
}

/// The embedded PTX, by kernel name.
#[cfg(all(feature = "cuda", not(jetnewton_no_ptx)))]
const EMBEDDED: &[(&str, &str)] = embed!(
    "arith",
    "contract",
    "conv",
    "elementwise_jet",
    "log_softmax",
    "matmul",
    "pool",
);

/// No PTX: the `cuda` feature is off or nvcc was not found.
#[cfg(not(all(feature = "cuda", not(jetnewton_no_ptx))))]
const EMBEDDED: &[(&str, &str)] = &[];

/// The PTX of kernel source `name` (e.g. `"matmul"`), or `None` when the crate was built without
/// the `cuda` feature, without nvcc, or `name` is not a kernel.
pub fn ptx(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|&(_, p)| p)
}

/// The `.entry` names a PTX text defines, sorted.
pub fn entry_points(ptx: &str) -> Vec<&str> {
    let mut names: Vec<&str> = ptx
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix(".visible .entry "))
        .filter_map(|rest| rest.split(['(', ' ']).next())
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::MODULES;

    #[test]
    fn unknown_kernel_has_no_ptx() {
        assert_eq!(ptx("no_such_kernel"), None);
    }

    #[test]
    fn kernels_match_the_entry_table() {
        let names: Vec<&str> = MODULES.iter().map(|m| m.name).collect();
        assert_eq!(KERNELS, names.as_slice());
    }

    #[test]
    fn entry_points_are_read_from_ptx() {
        let text = ".visible .entry matmul_f32(\n\t.param .align 8 .b8 p[120]\n)\n\
                    .visible .entry matmul_f64(\n";
        assert_eq!(entry_points(text), ["matmul_f32", "matmul_f64"]);
    }

    #[cfg(any(not(feature = "cuda"), jetnewton_no_ptx))]
    #[test]
    fn no_ptx_without_cuda_build() {
        assert!(KERNELS.iter().all(|k| ptx(k).is_none()));
    }

    #[cfg(all(feature = "cuda", not(jetnewton_no_ptx)))]
    #[test]
    fn every_source_defines_exactly_its_entry_points() {
        for module in MODULES {
            let text = ptx(module.name).expect("embedded");
            let mut expected: Vec<&str> = module.entries().collect();
            expected.sort_unstable();
            assert_eq!(entry_points(text), expected, "{}", module.name);
        }
    }
}
