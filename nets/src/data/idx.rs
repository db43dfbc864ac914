//! The IDX format of MNIST and Fashion-MNIST, raw or gzip.
//!
//! An IDX file is a 4-byte big-endian magic number — two zero bytes, a type code (`0x08` = unsigned byte) and the
//! number of dimensions — then one big-endian `u32` per dimension, then the values in row-major order. Only the
//! two layouts the data sets use are read: images (3 dimensions) and labels (1 dimension).

use std::borrow::Cow;
use std::path::Path;

use super::error::DataError;
use super::file::{decompress_if_gzip, read_maybe_gzip};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions `[n, rows, cols]`.
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;

/// Magic number of an IDX file of unsigned bytes with 1 dimension `[n]`.
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads an IDX image file (raw or gzip): returns `(pixels, n, rows, cols)` with `pixels.len() == n * rows * cols`,
/// image after image, row-major.
pub fn read_idx_images(path: &Path) -> Result<(Vec<u8>, usize, usize, usize), DataError> {
    images(path, Cow::Owned(read_maybe_gzip(path)?))
}

/// Reads an IDX label file (raw or gzip): one byte per sample.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    labels(path, Cow::Owned(read_maybe_gzip(path)?))
}

/// [`read_idx_images`] on the contents of a file already in memory (raw or gzip, told apart by content).
/// `origin` is only the name the errors give the file.
pub fn parse_idx_images(
    bytes: &[u8],
    origin: &Path,
) -> Result<(Vec<u8>, usize, usize, usize), DataError> {
    images(origin, decompress_if_gzip(origin, Cow::Borrowed(bytes))?)
}

/// [`read_idx_labels`] on the contents of a file already in memory (raw or gzip, told apart by content).
/// `origin` is only the name the errors give the file.
pub fn parse_idx_labels(bytes: &[u8], origin: &Path) -> Result<Vec<u8>, DataError> {
    labels(origin, decompress_if_gzip(origin, Cow::Borrowed(bytes))?)
}

/// The images of the (decompressed) IDX file `bytes`.
fn images(path: &Path, bytes: Cow<'_, [u8]>) -> Result<(Vec<u8>, usize, usize, usize), DataError> {
    let (pixels, [n, rows, cols]) = decode_idx(path, bytes, IDX_IMAGES_MAGIC)?;
    Ok((pixels, n, rows, cols))
}

/// The labels of the (decompressed) IDX file `bytes`.
fn labels(path: &Path, bytes: Cow<'_, [u8]>) -> Result<Vec<u8>, DataError> {
    let (labels, [_n]) = decode_idx(path, bytes, IDX_LABELS_MAGIC)?;
    Ok(labels)
}

/// Checks the header of the IDX file held in `bytes` against `magic` (whose low byte must be `N`, the number of
/// dimensions) and the length it promises, then returns the values with the dimensions. The values are the
/// buffer itself with the header stripped in place (one `memmove`, no second buffer) when `bytes` is owned, a
/// copy of them when it is borrowed; nothing is allocated before the length is checked.
fn decode_idx<const N: usize>(
    path: &Path,
    bytes: Cow<'_, [u8]>,
    magic: u32,
) -> Result<(Vec<u8>, [usize; N]), DataError> {
    debug_assert_eq!((magic & 0xff) as usize, N);
    let found_bytes = bytes.len() as u64;
    let truncated = |what, expected_bytes| DataError::Truncated {
        path: path.to_path_buf(),
        what,
        expected_bytes,
        found_bytes,
    };
    let word = |k: usize| {
        bytes
            .get(4 * k..4 * k + 4)
            .and_then(|w| w.try_into().ok())
            .map(u32::from_be_bytes)
    };

    let found = word(0).ok_or_else(|| truncated("the magic number", 4))?;
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    let header_len = 4 + 4 * N;
    let mut dims = [0u32; N];
    for (k, dim) in dims.iter_mut().enumerate() {
        *dim = word(k + 1).ok_or_else(|| truncated("the header", header_len as u64))?;
    }
    // Saturating: dimensions whose product overflows u64 describe a file no disk holds, so it is truncated.
    let values = dims
        .iter()
        .fold(1u64, |acc, &d| acc.saturating_mul(u64::from(d)));
    let expected_bytes = values.saturating_add(header_len as u64);
    if found_bytes < expected_bytes {
        return Err(truncated(
            if N == 1 {
                "the labels"
            } else {
                "the pixel data"
            },
            expected_bytes,
        ));
    }
    if found_bytes > expected_bytes {
        return Err(DataError::TrailingBytes {
            path: path.to_path_buf(),
            expected_bytes,
            found_bytes,
        });
    }
    let values = match bytes {
        Cow::Owned(mut owned) => {
            owned.drain(..header_len);
            owned
        }
        Cow::Borrowed(borrowed) => borrowed[header_len..].to_vec(),
    };
    // Each dimension fits in usize: the product of all of them is the length of a buffer that exists.
    Ok((values, dims.map(|d| d as usize)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{gz, idx_images, idx_labels, shared_data};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let pixels: Vec<u8> = (0..2 * 3 * 4).map(|v| v as u8 * 10).collect();
        let file = idx_images(2, 3, 4, &pixels);
        for (name, contents) in [("imgs", file.clone()), ("imgs.gz", gz(&file))] {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            assert_eq!(read_idx_images(&path).unwrap(), (pixels.clone(), 2, 3, 4));
        }
        let path = dir.path().join("labels.gz");
        std::fs::write(&path, gz(&idx_labels(&[3, 1, 4]))).unwrap();
        assert_eq!(read_idx_labels(&path).unwrap(), vec![3, 1, 4]);
    }

    #[test]
    fn bytes_parse_like_the_file_and_errors_name_the_origin() {
        let pixels: Vec<u8> = (0..2 * 3 * 4).map(|v| v as u8 * 10).collect();
        let file = idx_images(2, 3, 4, &pixels);
        for contents in [file.clone(), gz(&file)] {
            let parsed = parse_idx_images(&contents, Path::new("unused")).unwrap();
            assert_eq!(parsed, (pixels.clone(), 2, 3, 4));
        }
        let labels = parse_idx_labels(&gz(&idx_labels(&[3, 1, 4])), Path::new("unused"));
        assert_eq!(labels.unwrap(), vec![3, 1, 4]);

        let err = parse_idx_labels(&file, Path::new("in-memory-images")).unwrap_err();
        assert!(matches!(err, DataError::BadMagic { .. }), "{err:?}");
        assert!(err.to_string().starts_with("in-memory-images: "), "{err}");
        let packed = gz(&file);
        let err = parse_idx_images(&packed[..packed.len() - 3], Path::new("cut.gz")).unwrap_err();
        assert!(matches!(err, DataError::Decompress { .. }), "{err:?}");
        assert!(err.to_string().starts_with("cut.gz: "), "{err}");
    }

    #[test]
    fn truncated_raw_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = idx_images(3, 5, 5, &[7; 75]);
        for (cut, what) in [(2, "magic"), (10, "header"), (80, "pixel")] {
            let path = dir.path().join(format!("cut-at-{cut}-idx3-ubyte"));
            std::fs::write(&path, &file[..cut]).unwrap();
            let err = read_idx_images(&path).unwrap_err();
            assert!(
                matches!(err, DataError::Truncated { found_bytes, .. } if found_bytes == cut as u64),
                "{err}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("cut-at-{cut}-idx3-ubyte")) && msg.contains(what),
                "{msg}"
            );
        }
    }

    #[test]
    fn truncated_gzip_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let packed = gz(&idx_images(3, 5, 5, &[7; 75]));
        let path = dir.path().join("short-images.gz");
        std::fs::write(&path, &packed[..packed.len() - 10]).unwrap();
        let err = read_idx_images(&path).unwrap_err();
        assert!(matches!(err, DataError::Decompress { .. }), "{err:?}");
        assert!(err.to_string().contains("short-images.gz"), "{err}");
    }

    #[test]
    fn wrong_magic_names_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels-not-images");
        std::fs::write(&path, idx_labels(&[1, 2, 3])).unwrap();
        let err = read_idx_images(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::BadMagic {
                    expected: IDX_IMAGES_MAGIC,
                    found: IDX_LABELS_MAGIC,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("labels-not-images"), "{err}");
        assert!(err.to_string().contains("0x00000801"), "{err}");
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long-labels");
        let mut file = idx_labels(&[1, 2, 3]);
        file.push(0);
        std::fs::write(&path, file).unwrap();
        let err = read_idx_labels(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::TrailingBytes {
                    expected_bytes: 11,
                    found_bytes: 12,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("long-labels"), "{err}");
    }

    #[test]
    fn huge_dimensions_do_not_overflow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge");
        let mut file = IDX_IMAGES_MAGIC.to_be_bytes().to_vec();
        for _ in 0..3 {
            file.extend(u32::MAX.to_be_bytes());
        }
        std::fs::write(&path, file).unwrap();
        let err = read_idx_images(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected_bytes: u64::MAX,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn real_mnist_train_decodes_fast() {
        let Some(dir) = shared_data("mnist") else {
            return;
        };
        let start = std::time::Instant::now();
        let (pixels, n, rows, cols) =
            read_idx_images(&dir.join("train-images-idx3-ubyte.gz")).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(
            (n, rows, cols, pixels.len()),
            (60_000, 28, 28, 60_000 * 784)
        );
        // Generous bound so a loaded CI machine does not flake; it takes about a tenth of this when idle.
        assert!(
            elapsed.as_secs_f64() < 2.0,
            "decoding MNIST took {elapsed:?}"
        );
        let labels = read_idx_labels(&dir.join("train-labels-idx1-ubyte.gz")).unwrap();
        assert_eq!(labels.len(), 60_000);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Cutting a valid file (raw or gzip) anywhere before its end never panics and always names the file.
        #[test]
        fn any_truncation_is_an_error(
            n in 1usize..4,
            side in 1usize..5,
            cut_frac in 0.0f64..1.0,
            zip in any::<bool>(),
        ) {
            let pixels: Vec<u8> = (0..n * side * side).map(|v| v as u8).collect();
            let raw = idx_images(n, side, side, &pixels);
            let full = if zip { gz(&raw) } else { raw };
            let cut = (cut_frac * full.len() as f64) as usize;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("prop-images");
            std::fs::write(&path, &full[..cut]).unwrap();
            let err = read_idx_images(&path).unwrap_err();
            prop_assert!(err.to_string().contains("prop-images"), "{}", err);
            let expected_kind = matches!(err, DataError::Truncated { .. } | DataError::Decompress { .. });
            prop_assert!(expected_kind, "{:?}", err);
        }
    }
}
