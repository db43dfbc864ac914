//! The UCI optical-recognition digits (as shipped with scikit-learn): 1 797 grey 8×8 images, 10 classes,
//! embedded in the binary so the smallest experiments and the tests need no file at all.
//!
//! The format is CSV without a header: 64 pixel values in `0..=16` (row-major), then the label.

use std::path::Path;

use super::dataset::Dataset;
use super::error::DataError;
use super::file::{gunzip, read_maybe_gzip};

/// The gzip CSV, compiled in (57 kB).
static DIGITS_CSV_GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../assets/digits.csv.gz"
));

/// Mean over all 1 797 × 64 pixels of the data set after scaling by 1/16 (computed in `f64`:
/// 0.30526028624095713; the test `constants_match_the_data` recomputes it).
pub const DIGITS_MEAN: f32 = 0.305_260_3;
/// Population standard deviation over all pixels after scaling by 1/16 (0.3760492217921994 in `f64`).
pub const DIGITS_STD: f32 = 0.376_049_2;

const SIDE: usize = 8;
const PIXELS: usize = SIDE * SIDE;
/// Pixel values count the set cells of a 4×4 block of the original 32×32 bitmap, so they run from 0 to 16.
const MAX_VALUE: f32 = 16.0;
const CLASSES: usize = 10;

/// The embedded digits: sample shape `[1, 8, 8]`, 10 classes, pixels scaled by 1/16 and standardised with
/// [`DIGITS_MEAN`] and [`DIGITS_STD`].
///
/// It cannot fail on the data compiled in (a test checks that); it returns `Result` so that a corrupted build
/// reports an error instead of panicking.
pub fn digits() -> Result<Dataset, DataError> {
    let path = Path::new("<embedded assets/digits.csv.gz>");
    parse_digits_csv(path, &gunzip(path, DIGITS_CSV_GZ)?, "digits".to_string())
}

/// The digits from a CSV file on disk (raw or gzip) in the same format, normalised with the same constants as
/// [`digits`] so that both give identical data for identical files.
pub fn read_digits_csv(path: &Path) -> Result<Dataset, DataError> {
    parse_digits_csv(
        path,
        &read_maybe_gzip(path)?,
        format!("digits:{}", path.display()),
    )
}

/// Parses the CSV in `bytes`; `path` names the file in errors. Blank lines are skipped.
fn parse_digits_csv(path: &Path, bytes: &[u8], name: String) -> Result<Dataset, DataError> {
    let parse_error = |line: usize, message: String| DataError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        parse_error(line, "not UTF-8 text".to_string())
    })?;
    // Scaling and standardising fused into one multiply-add per pixel.
    let scale = 1.0 / (MAX_VALUE * DIGITS_STD);
    let shift = -DIGITS_MEAN / DIGITS_STD;

    let (mut inputs, mut labels) = (Vec::new(), Vec::new());
    for (k, line) in text.lines().enumerate() {
        let line_no = k + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (label, pixels) = match fields.split_last() {
            Some((label, pixels)) if pixels.len() == PIXELS => (label, pixels),
            _ => {
                let found = fields.len();
                let message = format!(
                    "expected {} fields (pixels, then label), found {found}",
                    PIXELS + 1
                );
                return Err(parse_error(line_no, message));
            }
        };
        for (column, field) in pixels.iter().enumerate() {
            let value: f32 = field.parse().map_err(|_| {
                parse_error(
                    line_no,
                    format!("field {}: {field:?} is not a number", column + 1),
                )
            })?;
            if !(0.0..=MAX_VALUE).contains(&value) {
                return Err(parse_error(
                    line_no,
                    format!("field {}: pixel value {value} outside 0..=16", column + 1),
                ));
            }
            inputs.push(value * scale + shift);
        }
        let label: u64 = label
            .parse()
            .map_err(|_| parse_error(line_no, format!("label {label:?} is not a whole number")))?;
        if label >= CLASSES as u64 {
            let index = labels.len();
            return Err(DataError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label,
                classes: CLASSES,
            });
        }
        labels.push(label as u8);
    }
    if labels.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Dataset::new(inputs, labels, vec![1, SIDE, SIDE], CLASSES, name)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{gz, shared_data};
    use super::*;
    use std::io::Read;

    /// A valid CSV line: 64 pixel values then `label`.
    fn line(value: &str, label: &str) -> String {
        let mut fields = vec![value; PIXELS];
        fields.push(label);
        fields.join(",")
    }

    /// Writes `lines` to a file named `name` in a fresh directory and reads it back.
    fn read_lines(name: &str, lines: &[String]) -> Result<Dataset, DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n")).unwrap();
        read_digits_csv(&path)
    }

    #[test]
    fn embedded_digits() {
        let data = digits().unwrap();
        assert_eq!(
            (data.len(), data.sample_shape(), data.num_classes()),
            (1797, &[1, 8, 8][..], 10)
        );
        // Class sizes of the scikit-learn copy (`np.bincount(load_digits().target)`).
        assert_eq!(
            data.class_counts(),
            vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        let (mean, std) = data.channel_mean_std();
        assert!(
            mean[0].abs() < 1e-5 && (std[0] - 1.0).abs() < 1e-5,
            "{mean:?} {std:?}"
        );
        // First row of the file: a 0 whose third pixel is 5.
        let (x, y) = data.sample(0);
        assert_eq!(y, 0);
        assert!((x[2] - (5.0 / 16.0 - DIGITS_MEAN) / DIGITS_STD).abs() < 1e-6);
    }

    #[test]
    fn constants_match_the_data() {
        // Recompute from the raw CSV with a separate, plain reading (f64, two passes).
        let mut text = String::new();
        flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
            .read_to_string(&mut text)
            .unwrap();
        let pixels: Vec<f64> = text
            .lines()
            .flat_map(|l| {
                l.split(',')
                    .take(PIXELS)
                    .map(|v| v.parse::<f64>().unwrap() / 16.0)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(pixels.len(), 1797 * 64);
        let mean = pixels.iter().sum::<f64>() / pixels.len() as f64;
        let var = pixels.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / pixels.len() as f64;
        assert!((mean - f64::from(DIGITS_MEAN)).abs() < 1e-7, "mean {mean}");
        assert!(
            (var.sqrt() - f64::from(DIGITS_STD)).abs() < 1e-7,
            "std {}",
            var.sqrt()
        );
    }

    #[test]
    fn on_disk_copy_reads_the_same() {
        let Some(dir) = shared_data("sklearn-digits") else {
            return;
        };
        let on_disk = read_digits_csv(&dir.join("digits.csv.gz")).unwrap();
        let embedded = digits().unwrap();
        assert_eq!(
            (on_disk.inputs(), on_disk.labels()),
            (embedded.inputs(), embedded.labels())
        );
    }

    #[test]
    fn gzip_and_blank_lines_are_fine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.csv.gz");
        let text = format!("{}\r\n\n{}\n", line("16", "3"), line("0", "9"));
        std::fs::write(&path, gz(text.as_bytes())).unwrap();
        let data = read_digits_csv(&path).unwrap();
        assert_eq!(data.labels(), &[3, 9]);
        assert!((data.inputs()[0] - (1.0 - DIGITS_MEAN) / DIGITS_STD).abs() < 1e-6);
    }

    #[test]
    fn bad_field_names_file_and_line() {
        let mut bad = line("1", "2");
        bad.replace_range(2..3, "x");
        let err = read_lines("bad-field.csv", &[line("1", "2"), bad]).unwrap_err();
        assert!(matches!(err, DataError::Parse { line: 2, .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("bad-field.csv:2:") && msg.contains("field 2") && msg.contains("\"x\""),
            "{msg}"
        );
    }

    #[test]
    fn other_bad_rows() {
        let err = read_lines("short.csv", &["1,2,3".to_string()]).unwrap_err();
        assert!(
            matches!(err, DataError::Parse { line: 1, .. }) && err.to_string().contains("found 3"),
            "{err}"
        );
        let err = read_lines("big.csv", &[line("17", "1")]).unwrap_err();
        assert!(
            matches!(err, DataError::Parse { line: 1, .. }) && err.to_string().contains("big.csv"),
            "{err}"
        );
        let err = read_lines("label.csv", &[line("1", "1"), line("1", "10")]).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::LabelOutOfRange {
                    index: 1,
                    label: 10,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("label.csv"), "{err}");
        let err = read_lines("frac.csv", &[line("1", "1.5")]).unwrap_err();
        assert!(
            matches!(err, DataError::Parse { .. }) && err.to_string().contains("frac.csv"),
            "{err}"
        );
        let err = read_lines("empty.csv", &[String::new()]).unwrap_err();
        assert!(
            matches!(err, DataError::EmptyFile { .. }) && err.to_string().contains("empty.csv"),
            "{err}"
        );
    }

    #[test]
    fn non_utf8_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("binary.csv");
        let mut bytes = format!("{}\n", line("0", "0")).into_bytes();
        bytes.extend([0xff, 0xfe]);
        std::fs::write(&path, bytes).unwrap();
        let err = read_digits_csv(&path).unwrap_err();
        assert!(
            matches!(err, DataError::Parse { line: 2, .. })
                && err.to_string().contains("binary.csv"),
            "{err}"
        );
    }
}
