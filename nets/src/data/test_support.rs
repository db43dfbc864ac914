//! Helpers shared by the data module's tests: writing small files in the real formats, finding the shared data.

use std::io::Write;
use std::path::PathBuf;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::dataset::Dataset;
use super::idx::{IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC};

/// `data` gzip-compressed.
pub(crate) fn gz(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// An IDX image file holding `pixels` as `n` images of `rows × cols`.
pub(crate) fn idx_images(n: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut file = IDX_IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [n, rows, cols] {
        file.extend((d as u32).to_be_bytes());
    }
    file.extend_from_slice(pixels);
    file
}

/// An IDX label file holding `labels`.
pub(crate) fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut file = IDX_LABELS_MAGIC.to_be_bytes().to_vec();
    file.extend((labels.len() as u32).to_be_bytes());
    file.extend_from_slice(labels);
    file
}

/// `shared/data/<sub>` next to the repository, or `None` after printing a "skipped" line when it is absent
/// (a checkout without the shared data must still pass its tests).
pub(crate) fn shared_data(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data")).join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} not found", dir.display());
        None
    }
}

/// `n` samples of shape `[2, 3]` whose values encode the sample index (`10 i + k`) and whose labels are `i % 4`,
/// so that splits and batches can be traced back to the samples.
pub(crate) fn tagged(n: usize) -> Dataset {
    let inputs = (0..n)
        .flat_map(|i| (0..6).map(move |k| (i * 10 + k) as f32))
        .collect();
    let labels = (0..n).map(|i| (i % 4) as u8).collect();
    Dataset::new(inputs, labels, vec![2, 3], 4, "tagged").unwrap()
}
