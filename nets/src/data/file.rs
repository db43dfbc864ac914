//! Reading a whole data file into memory, decompressing it when it is gzip.
//!
//! Data files are read in one go rather than streamed: the largest (MNIST training images, 47 MB) fits easily,
//! and one `read` plus one decompression call is far faster than many small reads through a buffered reader.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::error::DataError;

/// The two bytes every gzip member starts with (RFC 1952, ID1 ID2).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The size hint is trusted up to this many times the compressed length. Deflate can expand about 1032:1, but
/// the data files compress far less (MNIST's images about 5:1, CIFAR-10 about 1.1:1): a larger true size only
/// costs the output buffer a few doublings, whereas trusting a corrupt trailer up to 1032:1 made a 300 kB file
/// reserve 300 MB before its first byte was decoded.
const MAX_HINT_RATIO: usize = 16;

/// Never pre-allocate more than this from a hint that the file itself supplies.
const MAX_HINT_BYTES: usize = 1 << 30;

/// Reads `path` whole; if it starts with the gzip magic bytes, returns the decompressed contents instead.
///
/// Detection is by content, not by name, so `foo.gz` that was already unpacked (or the reverse) still reads.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decompress_if_gzip(path, Cow::Owned(raw)).map(Cow::into_owned)
}

/// `bytes` decompressed when they start with the gzip magic bytes, else `bytes` themselves (no copy). `origin`
/// only names the file in errors.
pub(crate) fn decompress_if_gzip<'a>(
    origin: &Path,
    bytes: Cow<'a, [u8]>,
) -> Result<Cow<'a, [u8]>, DataError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(origin, &bytes).map(Cow::Owned)
    } else {
        Ok(bytes)
    }
}

/// The first of `names` that exists as a file in `dir` (names are tried in order, so list the preferred first).
pub(crate) fn find_file(dir: &Path, names: &[String]) -> Result<PathBuf, DataError> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| DataError::MissingFile {
            dir: dir.to_path_buf(),
            names: names.to_vec(),
        })
}

/// Decompresses all gzip members of `compressed` (a file that is several members concatenated is still valid
/// gzip). `path` only names the file in errors.
pub(crate) fn gunzip(path: &Path, compressed: &[u8]) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    // Best effort: when the reservation fails, the buffer grows as the decoder fills it (an allocation failure
    // inside `with_capacity` would abort the process instead of reporting an error).
    let _ = out.try_reserve_exact(size_hint(compressed));
    MultiGzDecoder::new(compressed)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Decompress {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// The uncompressed size from the gzip trailer (ISIZE, last 4 bytes, little endian, size mod 2^32), clamped to
/// [`MAX_HINT_RATIO`] times the compressed length and to [`MAX_HINT_BYTES`]. Reserving it up front saves the
/// decoder ~25 doublings and copies of a growing buffer; a wrong hint only costs a reallocation, never
/// correctness.
fn size_hint(compressed: &[u8]) -> usize {
    let Some(tail) = compressed.last_chunk::<4>() else {
        return 0;
    };
    let isize_field = u32::from_le_bytes(*tail) as usize;
    isize_field
        .min(compressed.len().saturating_mul(MAX_HINT_RATIO))
        .min(MAX_HINT_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn raw_and_gzip_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let raw_path = dir.path().join("a.bin");
        let gz_path = dir.path().join("a.bin.gz");
        std::fs::write(&raw_path, &data).unwrap();
        std::fs::write(&gz_path, gz(&data)).unwrap();
        assert_eq!(read_maybe_gzip(&raw_path).unwrap(), data);
        assert_eq!(read_maybe_gzip(&gz_path).unwrap(), data);
    }

    #[test]
    fn concatenated_members_decode_whole() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(gunzip(Path::new("x.gz"), &two).unwrap(), b"hello world");
    }

    #[test]
    fn missing_file_is_io_error_naming_it() {
        let err = read_maybe_gzip(Path::new("/nonexistent/dir/nothing-here.idx")).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("nothing-here.idx"), "{err}");
    }

    #[test]
    fn find_file_takes_first_present_or_names_all() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b"), b"").unwrap();
        std::fs::write(dir.path().join("c"), b"").unwrap();
        let names = ["a", "b", "c"].map(String::from);
        assert_eq!(find_file(dir.path(), &names).unwrap(), dir.path().join("b"));
        let err = find_file(dir.path(), &["x.gz".into(), "x".into()]).unwrap_err();
        assert!(matches!(err, DataError::MissingFile { .. }), "{err:?}");
        assert!(err.to_string().contains("x.gz or x"), "{err}");
    }

    #[test]
    fn corrupt_gzip_is_decompress_error() {
        let mut bad = gz(&[5u8; 1000]);
        let mid = bad.len() / 2;
        bad.truncate(mid);
        let err = gunzip(Path::new("cut.gz"), &bad).unwrap_err();
        assert!(matches!(err, DataError::Decompress { .. }), "{err:?}");
        assert!(err.to_string().contains("cut.gz"), "{err}");
    }

    /// Bytes that deflate cannot shrink much (a multiplicative hash of the index).
    fn noise(n: u32) -> Vec<u8> {
        (0..n)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect()
    }

    #[test]
    fn size_hint_is_clamped() {
        assert_eq!(size_hint(&[]), 0);
        assert_eq!(size_hint(&[0xff; 4]), 4 * MAX_HINT_RATIO);
        assert_eq!(size_hint(&gz(&noise(5000))), 5000);
        // Highly compressible data gets a smaller hint than its size, and still decodes whole.
        let zeros = gz(&[0u8; 100_000]);
        assert!(size_hint(&zeros) < 100_000);
        assert_eq!(
            gunzip(Path::new("zeros.gz"), &zeros).unwrap(),
            vec![0u8; 100_000]
        );
    }

    /// Regression: a corrupt stream whose trailer claims 4 GiB made `gunzip` reserve 1032 times the file's length
    /// up front (317 MB for this 300 kB input, 1 GiB for a 1 MB one; the `idx` fuzz target's allocation cap
    /// aborts on it), and `Vec::with_capacity` aborts the process wherever such an allocation fails. The
    /// reservation now stays within 16 times the input, and decoding fails with an error.
    #[test]
    fn a_lying_trailer_does_not_size_the_buffer() {
        let mut liar = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        liar.extend(noise(300_000));
        liar.extend(u32::MAX.to_le_bytes());
        assert_eq!(size_hint(&liar), MAX_HINT_RATIO * liar.len());
        let err = gunzip(Path::new("liar.gz"), &liar).unwrap_err();
        assert!(matches!(err, DataError::Decompress { .. }), "{err:?}");
        assert!(err.to_string().contains("liar.gz"), "{err}");
    }
}
