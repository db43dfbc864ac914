//! The data module's error type: one enum with named fields, so a caller can match on what went wrong.
//!
//! Errors about a file carry its `path` and print it first, so a message read in a log says which file to look
//! at without the surrounding context. Errors about an in-memory data set carry its name instead.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while reading, checking, splitting or sampling a data set.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file starts like gzip (bytes 1f 8b) but does not decompress: cut short or corrupt.
    #[error("{}: gzip data is corrupt or cut short: {source}", .path.display())]
    Decompress {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        #[source]
        source: io::Error,
    },
    /// The magic number at the start of the file is not the one this format needs.
    #[error("{}: bad magic number {found:#010x}, expected {expected:#010x}", .path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number the format requires.
        expected: u32,
        /// The magic number the file holds.
        found: u32,
    },
    /// The file (after decompression) is shorter than its header says it must be.
    #[error("{}: cut short: {what} needs {expected_bytes} bytes, the file has {found_bytes}", .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The part that is missing (`"header"`, `"pixel data"`, …).
        what: &'static str,
        /// Bytes the header promises.
        expected_bytes: u64,
        /// Bytes present.
        found_bytes: u64,
    },
    /// The file is longer than its header says: likely the wrong file or a corrupt header.
    #[error("{}: {found_bytes} bytes, but its header describes exactly {expected_bytes}", .path.display())]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes the header describes.
        expected_bytes: u64,
        /// Bytes present.
        found_bytes: u64,
    },
    /// A file of fixed-size records whose length is not a whole number of records.
    #[error("{}: length {length} bytes is not a multiple of the {record_bytes}-byte record", .path.display())]
    RecordLength {
        /// The file.
        path: PathBuf,
        /// The file's length in bytes.
        length: u64,
        /// Bytes per record.
        record_bytes: usize,
    },
    /// A file that holds no sample at all.
    #[error("{}: the file holds no samples", .path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// Two counts that must agree do not (image count vs label count, image size vs the format's).
    #[error("{}: {what}: expected {expected}, found {found}", .path.display())]
    SizeMismatch {
        /// The file whose count is wrong.
        path: PathBuf,
        /// What was compared, naming the other file where there is one.
        what: String,
        /// The count required.
        expected: u64,
        /// The count found.
        found: u64,
    },
    /// A label in a file is not a valid class index.
    #[error("{}: sample {index} has label {label}, but there are only {classes} classes", .path.display())]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// The sample's position in the file (0-based).
        index: usize,
        /// The label found.
        label: u64,
        /// The number of classes.
        classes: usize,
    },
    /// A text file with a line that cannot be parsed.
    #[error("{}:{line}: {message}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong on it.
        message: String,
    },
    /// None of the accepted names for a file exists in the directory.
    #[error("{}: no file named {}", .dir.display(), .names.join(" or "))]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The names tried, in order.
        names: Vec<String>,
    },
    /// The sample shape has no dimension or a zero dimension.
    #[error("data set {dataset:?}: invalid sample shape {shape:?} (needs at least one dimension, none zero)")]
    BadShape {
        /// The data set's name.
        dataset: String,
        /// The offending shape.
        shape: Vec<usize>,
    },
    /// The number of classes is 0 or does not fit the `u8` labels.
    #[error(
        "data set {dataset:?}: {classes} classes; labels are bytes, so there must be 1 to 256"
    )]
    BadClassCount {
        /// The data set's name.
        dataset: String,
        /// The number asked for.
        classes: usize,
    },
    /// Two lengths of an in-memory data set disagree (inputs vs labels × sample size, normalisation constants vs
    /// channels).
    #[error("data set {dataset:?}: {what}: expected {expected}, found {found}")]
    Inconsistent {
        /// The data set's name.
        dataset: String,
        /// What was compared.
        what: String,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A label of an in-memory data set is not a valid class index.
    #[error("data set {dataset:?}: sample {index} has label {label}, but there are only {classes} classes")]
    BadLabel {
        /// The data set's name.
        dataset: String,
        /// The sample's index.
        index: usize,
        /// The label found.
        label: u8,
        /// The number of classes.
        classes: usize,
    },
    /// A normalisation standard deviation that is not finite and positive.
    #[error("data set {dataset:?}: standard deviation {std} for channel {channel} must be finite and positive")]
    BadStd {
        /// The data set's name.
        dataset: String,
        /// The channel.
        channel: usize,
        /// The value given.
        std: f32,
    },
    /// A hold-out split that would leave the training or the validation part empty.
    #[error("data set {dataset:?}: cannot hold out {n_holdout} of {len} samples; both parts must be non-empty")]
    EmptySplit {
        /// The data set's name.
        dataset: String,
        /// The number of samples asked for.
        n_holdout: usize,
        /// The number of samples in the data set.
        len: usize,
    },
    /// A sample index past the end of the data set.
    #[error("data set {dataset:?}: sample index {index} out of range for {len} samples")]
    IndexOutOfRange {
        /// The data set's name.
        dataset: String,
        /// The index asked for.
        index: usize,
        /// The number of samples.
        len: usize,
    },
    /// A minibatch sampler asked for batches of zero samples.
    #[error("minibatch sampler: batch size must be at least 1")]
    ZeroBatchSize,
    /// A minibatch sampler asked for batches larger than the data set.
    #[error(
        "minibatch sampler: batch size {batch_size} exceeds the {len} samples of the data set"
    )]
    BatchTooLarge {
        /// The batch size asked for.
        batch_size: usize,
        /// The number of samples.
        len: usize,
    },
    /// A sampler used with a data set of another length than the one it was made for, or restored from an
    /// impossible state.
    #[error("minibatch sampler: {what}: expected {expected}, found {found}")]
    SamplerMismatch {
        /// What was compared.
        what: &'static str,
        /// The value required.
        expected: usize,
        /// The value found.
        found: usize,
    },
}
