//! The PTX of each kernel source, embedded at build time.
//!
//! `build.rs` compiles `cu/<name>.cu` to `$OUT_DIR/<name>.ptx`; it is embedded only with the
//! `cuda` feature and when nvcc was found (otherwise the build sets `--cfg jetnewton_no_ptx`).

/// `cu/elementwise_jet.cu`: jet forwards of elementwise ops (`tanh_jet3_f32`, `tanh_jet3_f64`).
pub const ELEMENTWISE_JET: &str = "elementwise_jet";

/// Every kernel source, by name (the `.cu` file's stem).
pub const KERNELS: &[&str] = &[ELEMENTWISE_JET];

/// The embedded PTX, by kernel name.
#[cfg(all(feature = "cuda", not(jetnewton_no_ptx)))]
const EMBEDDED: &[(&str, &str)] = &[(
    ELEMENTWISE_JET,
    include_str!(concat!(env!("OUT_DIR"), "/elementwise_jet.ptx")),
)];

/// No PTX: the `cuda` feature is off or nvcc was not found.
#[cfg(not(all(feature = "cuda", not(jetnewton_no_ptx))))]
const EMBEDDED: &[(&str, &str)] = &[];

/// The PTX of kernel source `name` (e.g. [`ELEMENTWISE_JET`]), or `None` when the crate was built
/// without the `cuda` feature, without nvcc, or `name` is not a kernel.
pub fn ptx(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|&(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kernel_has_no_ptx() {
        assert_eq!(ptx("no_such_kernel"), None);
    }

    #[cfg(any(not(feature = "cuda"), jetnewton_no_ptx))]
    #[test]
    fn no_ptx_without_cuda_build() {
        assert!(KERNELS.iter().all(|k| ptx(k).is_none()));
    }

    #[cfg(all(feature = "cuda", not(jetnewton_no_ptx)))]
    #[test]
    fn every_kernel_is_embedded_with_its_entry_points() {
        let src = ptx(ELEMENTWISE_JET).expect("embedded");
        assert!(src.contains(".entry tanh_jet3_f32"));
        assert!(src.contains(".entry tanh_jet3_f64"));
    }
}
