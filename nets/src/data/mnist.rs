//! MNIST and Fashion-MNIST from their IDX files: 28×28 grey images, 10 classes.
//!
//! Both data sets share the file layout, so one reader serves both; only the normalisation constants differ.

use std::fmt;
use std::path::Path;

use super::dataset::{byte_lut, first_bad_label, Dataset};
use super::error::DataError;
use super::file::find_file;
use super::idx::{read_idx_images, read_idx_labels};

/// Mean of the MNIST training pixels scaled to `[0, 1]` (the constant the paper's code uses).
pub const MNIST_MEAN: f32 = 0.1307;
/// Standard deviation of the MNIST training pixels scaled to `[0, 1]`.
pub const MNIST_STD: f32 = 0.3081;
/// Mean of the Fashion-MNIST training pixels scaled to `[0, 1]`.
pub const FASHION_MNIST_MEAN: f32 = 0.2860;
/// Standard deviation of the Fashion-MNIST training pixels scaled to `[0, 1]`.
pub const FASHION_MNIST_STD: f32 = 0.3530;

/// Image side of both data sets; the models are built for it, so other sizes are refused.
const SIDE: usize = 28;
/// Classes of both data sets.
const CLASSES: usize = 10;

/// Which half of a data set to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training set (MNIST: 60 000 images; CIFAR-10: 50 000).
    Train,
    /// The test set (10 000 images for both).
    Test,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// MNIST from `dir` (files `train-*` or `t10k-*`, `.gz` or not), pixels scaled to `[0, 1]` then normalised with
/// [`MNIST_MEAN`] and [`MNIST_STD`]. Sample shape `[1, 28, 28]`, 10 classes.
pub fn mnist(dir: &Path, split: Split) -> Result<Dataset, DataError> {
    read_mnist_like(dir, split, MNIST_MEAN, MNIST_STD, "mnist")
}

/// Fashion-MNIST from `dir`, like [`mnist`] but normalised with [`FASHION_MNIST_MEAN`] and [`FASHION_MNIST_STD`].
pub fn fashion_mnist(dir: &Path, split: Split) -> Result<Dataset, DataError> {
    read_mnist_like(
        dir,
        split,
        FASHION_MNIST_MEAN,
        FASHION_MNIST_STD,
        "fashion-mnist",
    )
}

/// The accepted names of one file: the gzip of the original distribution, the unpacked file, and the
/// `train-images.idx3-ubyte` spelling some mirrors use.
fn names(prefix: &str, kind: &str, idx: &str) -> Vec<String> {
    vec![
        format!("{prefix}-{kind}-{idx}-ubyte.gz"),
        format!("{prefix}-{kind}-{idx}-ubyte"),
        format!("{prefix}-{kind}.{idx}-ubyte"),
    ]
}

fn read_mnist_like(
    dir: &Path,
    split: Split,
    mean: f32,
    std: f32,
    name: &str,
) -> Result<Dataset, DataError> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images_path = find_file(dir, &names(prefix, "images", "idx3"))?;
    let labels_path = find_file(dir, &names(prefix, "labels", "idx1"))?;

    let (pixels, n, rows, cols) = read_idx_images(&images_path)?;
    if (rows, cols) != (SIDE, SIDE) {
        return Err(DataError::SizeMismatch {
            path: images_path,
            what: format!(
                "pixels per image (rows × cols = {rows} × {cols}; the models need {SIDE} × {SIDE})"
            ),
            expected: (SIDE * SIDE) as u64,
            found: rows as u64 * cols as u64,
        });
    }
    let labels = read_idx_labels(&labels_path)?;
    if labels.len() != n {
        return Err(DataError::SizeMismatch {
            what: format!(
                "label count vs the image count of {}",
                images_path.display()
            ),
            path: labels_path,
            expected: n as u64,
            found: labels.len() as u64,
        });
    }
    if let Some((index, label)) = first_bad_label(&labels, CLASSES) {
        let label = u64::from(label);
        return Err(DataError::LabelOutOfRange {
            path: labels_path,
            index,
            label,
            classes: CLASSES,
        });
    }
    // One table lookup per pixel does the scaling and the normalisation in a single pass.
    let lut = byte_lut(mean, std);
    let inputs = pixels.iter().map(|&b| lut[usize::from(b)]).collect();
    Dataset::new(
        inputs,
        labels,
        vec![1, SIDE, SIDE],
        CLASSES,
        format!("{name}-{split}"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{gz, idx_images, idx_labels, shared_data};
    use super::*;

    /// Writes an MNIST-layout `train` pair into `dir` with `n` images (pixel = index) and the given labels.
    fn write_pair(dir: &Path, n: usize, side: usize, labels: &[u8], zip: bool) {
        let pixels: Vec<u8> = (0..n * side * side).map(|v| v as u8).collect();
        let (images, labels) = (idx_images(n, side, side, &pixels), idx_labels(labels));
        let (images, labels, ext) = if zip {
            (gz(&images), gz(&labels), ".gz")
        } else {
            (images, labels, "")
        };
        std::fs::write(dir.join(format!("train-images-idx3-ubyte{ext}")), images).unwrap();
        std::fs::write(dir.join(format!("train-labels-idx1-ubyte{ext}")), labels).unwrap();
    }

    /// Checks a real split: size, first label, class balance, and that normalisation centred and scaled it.
    fn check_real(data: &Dataset, n: usize, first_label: u8, balanced: bool) {
        assert_eq!(data.len(), n);
        assert_eq!(
            (data.sample_shape(), data.num_classes()),
            (&[1, 28, 28][..], 10)
        );
        assert_eq!(data.sample(0).1, first_label);
        let counts = data.class_counts();
        if balanced {
            assert!(counts.iter().all(|&c| c == n / 10), "{counts:?}");
        } else {
            // MNIST's rarest class (5) has 9.0 % of the training images, its commonest (1) 11.2 %.
            assert!(
                counts
                    .iter()
                    .all(|&c| (n * 8 / 100..n * 13 / 100).contains(&c)),
                "{counts:?}"
            );
        }
        let (mean, std) = data.channel_mean_std();
        assert!(mean[0].abs() < 0.05, "{}: mean {mean:?}", data.name());
        assert!((std[0] - 1.0).abs() < 0.05, "{}: std {std:?}", data.name());
    }

    #[test]
    fn real_mnist() {
        let Some(dir) = shared_data("mnist") else {
            return;
        };
        let start = std::time::Instant::now();
        let train = mnist(&dir, Split::Train).unwrap();
        println!("mnist train loaded in {:?}", start.elapsed());
        check_real(&train, 60_000, 5, false);
        assert_eq!(train.name(), "mnist-train");
        check_real(&mnist(&dir, Split::Test).unwrap(), 10_000, 7, false);
    }

    #[test]
    fn real_fashion_mnist() {
        let Some(dir) = shared_data("fashion-mnist") else {
            return;
        };
        check_real(&fashion_mnist(&dir, Split::Train).unwrap(), 60_000, 9, true);
        check_real(&fashion_mnist(&dir, Split::Test).unwrap(), 10_000, 9, true);
    }

    #[test]
    fn uncompressed_files_read_like_gzip() {
        let (raw, zipped) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_pair(raw.path(), 3, 28, &[0, 9, 4], false);
        write_pair(zipped.path(), 3, 28, &[0, 9, 4], true);
        let a = mnist(raw.path(), Split::Train).unwrap();
        let b = mnist(zipped.path(), Split::Train).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.labels(), &[0, 9, 4]);
        // Pixel 0 of image 0 is byte 0; pixel 1 is byte 1.
        assert_eq!(a.inputs()[0], (0.0 - MNIST_MEAN) / MNIST_STD);
        assert!((a.inputs()[1] - (1.0 / 255.0 - MNIST_MEAN) / MNIST_STD).abs() < 1e-6);
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        write_pair(dir.path(), 3, 28, &[0, 1], true);
        let err = mnist(dir.path(), Split::Train).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::SizeMismatch {
                    expected: 3,
                    found: 2,
                    ..
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("train-labels-idx1-ubyte.gz")
                && msg.contains("train-images-idx3-ubyte.gz"),
            "{msg}"
        );
    }

    #[test]
    fn label_ten_names_file() {
        let dir = tempfile::tempdir().unwrap();
        write_pair(dir.path(), 3, 28, &[0, 10, 1], false);
        let err = fashion_mnist(dir.path(), Split::Train).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::LabelOutOfRange {
                    index: 1,
                    label: 10,
                    classes: 10,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("train-labels-idx1-ubyte"), "{err}");
    }

    #[test]
    fn wrong_image_size_names_file() {
        let dir = tempfile::tempdir().unwrap();
        write_pair(dir.path(), 2, 8, &[0, 1], true);
        let err = mnist(dir.path(), Split::Train).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::SizeMismatch {
                    expected: 784,
                    found: 64,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("train-images-idx3-ubyte.gz"),
            "{err}"
        );
    }

    #[test]
    fn missing_test_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_pair(dir.path(), 1, 28, &[0], true);
        let err = mnist(dir.path(), Split::Test).unwrap_err();
        assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
        assert!(
            err.to_string().contains("t10k-images-idx3-ubyte.gz"),
            "{err}"
        );
    }
}
