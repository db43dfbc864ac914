//! Data sets and minibatches: the readers for MNIST, Fashion-MNIST, CIFAR-10 and the embedded 8×8 digits, a
//! seeded synthetic problem, hold-out splits, and a resumable minibatch sampler.
//!
//! Every reader returns a [`Dataset`] already scaled and normalised with its data set's usual constants, with
//! sample shape `[channels, height, width]`. Files are checked rather than trusted: a truncated, mislabelled or
//! mismatched file gives a [`DataError`] that names the file, never a panic.
//!
//! ```no_run
//! use jetnewton_nets::data::{mnist, Batch, MinibatchSampler, Split};
//! # fn main() -> Result<(), jetnewton_nets::data::DataError> {
//! let (train, validation) = mnist("data/mnist".as_ref(), Split::Train)?.split_holdout(6_000, 0)?;
//! let mut sampler = MinibatchSampler::new(train.len(), 128, 1)?;
//! let mut batch = Batch::new();
//! sampler.next_batch(&train, &mut batch)?; // batch.shape() == [128, 1, 28, 28]
//! # let _ = validation;
//! # Ok(())
//! # }
//! ```

mod batch;
mod cifar;
mod dataset;
mod digits;
mod error;
mod file;
mod idx;
mod mnist;
mod sampler;
mod samples;
mod shuffle;
mod synthetic;
#[cfg(test)]
mod test_support;

pub use batch::Batch;
pub use cifar::{
    cifar10, parse_cifar_batch, read_cifar_batch, CIFAR10_MEAN, CIFAR10_RECORD_BYTES, CIFAR10_STD,
};
pub use dataset::Dataset;
pub use digits::{digits, read_digits_csv, DIGITS_MEAN, DIGITS_STD};
pub use error::DataError;
pub use idx::{
    parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels, IDX_IMAGES_MAGIC,
    IDX_LABELS_MAGIC,
};
pub use mnist::{
    fashion_mnist, mnist, Split, FASHION_MNIST_MEAN, FASHION_MNIST_STD, MNIST_MEAN, MNIST_STD,
};
pub use sampler::{MinibatchSampler, SamplerState};
pub use samples::{rows_tensor, SampleBatch, Samples};
pub use synthetic::{synthetic, CLASS_SEPARATION};
