//! CIFAR-10 from its binary batches: 32×32 colour images, 10 classes.
//!
//! A batch file is a run of 3 073-byte records: one label byte, then the 1 024 red, 1 024 green and 1 024 blue
//! pixels of a 32×32 image, each plane row-major. That is already the channel-first layout of a sample, so a
//! record decodes by one table lookup per byte, plane by plane.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::dataset::{byte_lut, Dataset};
use super::error::DataError;
use super::file::{decompress_if_gzip, read_maybe_gzip};
use super::mnist::Split;

/// Per-channel (R, G, B) mean of the CIFAR-10 training pixels scaled to `[0, 1]`.
pub const CIFAR10_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
/// Per-channel (R, G, B) standard deviation of the CIFAR-10 training pixels scaled to `[0, 1]`.
pub const CIFAR10_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];

const SIDE: usize = 32;
const CHANNELS: usize = 3;
const PLANE: usize = SIDE * SIDE;
/// Bytes per record: the label, then the three planes.
pub const CIFAR10_RECORD_BYTES: usize = 1 + CHANNELS * PLANE;
const CLASSES: usize = 10;

/// The five training batches, all required: a training set silently missing a fifth of its images would give
/// results that look plausible and are wrong.
const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const TEST_FILE: &str = "test_batch.bin";

/// CIFAR-10 from the standard binary batches in `dir`: `data_batch_1.bin` … `data_batch_5.bin` (all five, in that
/// order) for [`Split::Train`], `test_batch.bin` for [`Split::Test`]. Pixels are scaled to `[0, 1]` and
/// normalised per channel with [`CIFAR10_MEAN`] and [`CIFAR10_STD`]. Sample shape `[3, 32, 32]`, 10 classes.
pub fn cifar10(dir: &Path, split: Split) -> Result<Dataset, DataError> {
    let files: &[&str] = match split {
        Split::Train => &TRAIN_FILES,
        Split::Test => &[TEST_FILE],
    };
    // Check that every file exists before decoding any, so a missing one fails at once, not after seconds.
    let paths = files
        .iter()
        .map(|name| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(DataError::MissingFile {
                    dir: dir.to_path_buf(),
                    names: vec![name.to_string()],
                })
            }
        })
        .collect::<Result<Vec<PathBuf>, _>>()?;
    let (mut inputs, mut labels) = (Vec::new(), Vec::new());
    for path in &paths {
        append_records(path, &read_maybe_gzip(path)?, &mut inputs, &mut labels)?;
    }
    Dataset::new(
        inputs,
        labels,
        vec![CHANNELS, SIDE, SIDE],
        CLASSES,
        format!("cifar10-{split}"),
    )
}

/// One CIFAR-10 binary batch file (raw or gzip), normalised like [`cifar10`].
pub fn read_cifar_batch(path: &Path) -> Result<Dataset, DataError> {
    batch_dataset(path, &read_maybe_gzip(path)?)
}

/// [`read_cifar_batch`] on the contents of a file already in memory (raw or gzip, told apart by content).
/// `origin` is only the name the errors and the data set give the file.
pub fn parse_cifar_batch(bytes: &[u8], origin: &Path) -> Result<Dataset, DataError> {
    batch_dataset(origin, &decompress_if_gzip(origin, Cow::Borrowed(bytes))?)
}

/// The data set of one (decompressed) batch file's `bytes`.
fn batch_dataset(path: &Path, bytes: &[u8]) -> Result<Dataset, DataError> {
    let (mut inputs, mut labels) = (Vec::new(), Vec::new());
    append_records(path, bytes, &mut inputs, &mut labels)?;
    Dataset::new(
        inputs,
        labels,
        vec![CHANNELS, SIDE, SIDE],
        CLASSES,
        format!("cifar10:{}", path.display()),
    )
}

/// Decodes the records of the (decompressed) batch file `bytes` onto the end of `inputs` and `labels`, so the
/// five training batches land in one buffer without a concatenation copy. `path` names the file in errors.
fn append_records(
    path: &Path,
    bytes: &[u8],
    inputs: &mut Vec<f32>,
    labels: &mut Vec<u8>,
) -> Result<(), DataError> {
    if bytes.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if bytes.len() % CIFAR10_RECORD_BYTES != 0 {
        return Err(DataError::RecordLength {
            path: path.to_path_buf(),
            length: bytes.len() as u64,
            record_bytes: CIFAR10_RECORD_BYTES,
        });
    }
    let luts: [[f32; 256]; CHANNELS] =
        std::array::from_fn(|c| byte_lut(CIFAR10_MEAN[c], CIFAR10_STD[c]));
    let records = bytes.len() / CIFAR10_RECORD_BYTES;
    inputs.reserve(records * CHANNELS * PLANE);
    labels.reserve(records);
    for (index, record) in bytes.chunks_exact(CIFAR10_RECORD_BYTES).enumerate() {
        // `chunks_exact` yields only whole records, so the split cannot fail.
        let Some((&label, planes)) = record.split_first() else {
            continue;
        };
        if usize::from(label) >= CLASSES {
            let label = u64::from(label);
            return Err(DataError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label,
                classes: CLASSES,
            });
        }
        for (plane, lut) in planes.chunks_exact(PLANE).zip(&luts) {
            inputs.extend(plane.iter().map(|&b| lut[usize::from(b)]));
        }
        labels.push(label);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{gz, shared_data};
    use super::*;

    /// A record with label `label` whose R, G and B planes are the constant bytes `rgb`.
    fn record(label: u8, rgb: [u8; 3]) -> Vec<u8> {
        let mut r = vec![label];
        for v in rgb {
            r.extend(std::iter::repeat_n(v, PLANE));
        }
        r
    }

    #[test]
    fn real_sample_of_twenty() {
        let Some(dir) = shared_data("cifar10-sample") else {
            return;
        };
        let data = read_cifar_batch(&dir.join("test_batch_first20.bin")).unwrap();
        assert_eq!(
            (data.len(), data.sample_shape(), data.num_classes()),
            (20, &[3, 32, 32][..], 10)
        );
        // The first labels of the CIFAR-10 test batch, as every copy of it has them (cat, ship, ship, plane, …).
        let expected = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6];
        assert_eq!(data.labels(), &expected);
        // 20 images already sit close to the whole set's statistics once normalised.
        let (mean, std) = data.channel_mean_std();
        for c in 0..3 {
            assert!(
                mean[c].abs() < 0.05 && (std[c] - 1.0).abs() < 0.05,
                "channel {c}: {mean:?} {std:?}"
            );
        }
    }

    #[test]
    fn planes_become_channels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.bin");
        std::fs::write(
            &path,
            [record(4, [255, 0, 51]), record(9, [0, 0, 0])].concat(),
        )
        .unwrap();
        let data = read_cifar_batch(&path).unwrap();
        assert_eq!(data.labels(), &[4, 9]);
        let (x, _) = data.sample(0);
        let value = |byte: f32, c: usize| (byte / 255.0 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
        for (c, byte) in [(0, 255.0), (1, 0.0), (2, 51.0)] {
            let plane = &x[c * PLANE..(c + 1) * PLANE];
            assert!(
                plane.iter().all(|&v| (v - value(byte, c)).abs() < 1e-6),
                "channel {c}"
            );
        }
    }

    #[test]
    fn bytes_parse_like_the_file_and_errors_name_the_origin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.bin");
        let bytes = [record(4, [255, 0, 51]), record(9, [1, 2, 3])].concat();
        std::fs::write(&path, &bytes).unwrap();
        let from_file = read_cifar_batch(&path).unwrap();
        for contents in [bytes.clone(), gz(&bytes)] {
            let parsed = parse_cifar_batch(&contents, &path).unwrap();
            assert_eq!(parsed.labels(), from_file.labels());
            assert_eq!(parsed.sample(1), from_file.sample(1));
            assert_eq!(parsed.name(), from_file.name());
        }
        let err = parse_cifar_batch(&bytes[..100], Path::new("in-memory.bin")).unwrap_err();
        assert!(matches!(err, DataError::RecordLength { .. }), "{err:?}");
        assert!(err.to_string().starts_with("in-memory.bin: "), "{err}");
    }

    #[test]
    fn length_not_multiple_of_record_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ragged.bin");
        let mut bytes = record(1, [1, 2, 3]);
        bytes.extend([0; 100]);
        std::fs::write(&path, bytes).unwrap();
        let err = read_cifar_batch(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::RecordLength {
                    length: 3173,
                    record_bytes: 3073,
                    ..
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("ragged.bin") && msg.contains("3173"), "{msg}");
    }

    #[test]
    fn label_eleven_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad-label.bin");
        std::fs::write(&path, [record(2, [0; 3]), record(11, [0; 3])].concat()).unwrap();
        let err = read_cifar_batch(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::LabelOutOfRange {
                    index: 1,
                    label: 11,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("bad-label.bin"), "{err}");
    }

    #[test]
    fn empty_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.bin");
        std::fs::write(&path, []).unwrap();
        let err = read_cifar_batch(&path).unwrap_err();
        assert!(
            matches!(err, DataError::EmptyFile { .. }) && err.to_string().contains("empty.bin"),
            "{err}"
        );
    }

    #[test]
    fn train_reads_five_batches_in_order_and_needs_all() {
        let dir = tempfile::tempdir().unwrap();
        for (k, name) in TRAIN_FILES.iter().enumerate() {
            let bytes = [record(k as u8, [k as u8; 3]), record(9 - k as u8, [0; 3])].concat();
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        std::fs::write(dir.path().join(TEST_FILE), record(7, [7; 3])).unwrap();
        let train = cifar10(dir.path(), Split::Train).unwrap();
        assert_eq!(train.labels(), &[0, 9, 1, 8, 2, 7, 3, 6, 4, 5]);
        assert_eq!(train.name(), "cifar10-train");
        let test = cifar10(dir.path(), Split::Test).unwrap();
        assert_eq!(test.labels(), &[7]);

        std::fs::remove_file(dir.path().join("data_batch_3.bin")).unwrap();
        let err = cifar10(dir.path(), Split::Train).unwrap_err();
        assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
        assert!(err.to_string().contains("data_batch_3.bin"), "{err}");
    }
}
