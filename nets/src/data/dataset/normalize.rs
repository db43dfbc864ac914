//! Per-channel statistics and normalisation of a [`Dataset`].

use super::Dataset;
use crate::data::error::DataError;

impl Dataset {
    /// Mean and standard deviation (population) of each channel over all samples, accumulated in `f64`.
    pub fn channel_mean_std(&self) -> (Vec<f64>, Vec<f64>) {
        let channels = self.channels();
        let plane = self.sample_len() / channels;
        let mut sum = vec![0.0f64; channels];
        let mut sum_sq = vec![0.0f64; channels];
        for (k, chunk) in self.inputs.chunks_exact(plane).enumerate() {
            let c = k % channels;
            for &x in chunk {
                sum[c] += f64::from(x);
                sum_sq[c] += f64::from(x) * f64::from(x);
            }
        }
        let count = (self.len() * plane).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(sq, m)| (sq / count - m * m).max(0.0).sqrt())
            .collect();
        (mean, std)
    }

    /// Replaces every input `x` of channel `c` by `(x - mean[c]) / std[c]`.
    ///
    /// `mean` and `std` have one entry per channel, or a single entry used for all channels. Every `std` must be
    /// finite and positive; on error the data is left unchanged.
    pub fn normalize(&mut self, mean: &[f32], std: &[f32]) -> Result<(), DataError> {
        let channels = self.channels();
        let mean = self.per_channel(mean, "normalisation means")?;
        let std = self.per_channel(std, "normalisation standard deviations")?;
        if let Some((channel, &s)) = std
            .iter()
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(DataError::BadStd {
                dataset: self.name.clone(),
                channel,
                std: s,
            });
        }
        // Multiplying by the reciprocal is one rounding off from dividing, and several times faster.
        let inv_std: Vec<f32> = std.iter().map(|s| 1.0 / s).collect();
        let plane = self.sample_len() / channels;
        for (k, chunk) in self.inputs.chunks_exact_mut(plane).enumerate() {
            let c = k % channels;
            let (m, r) = (mean[c], inv_std[c]);
            for x in chunk.iter_mut() {
                *x = (*x - m) * r;
            }
        }
        Ok(())
    }

    /// Expands per-channel constants given as one value or one per channel to one per channel.
    fn per_channel(&self, values: &[f32], what: &str) -> Result<Vec<f32>, DataError> {
        let channels = self.channels();
        match values.len() {
            1 => Ok(vec![values[0]; channels]),
            n if n == channels => Ok(values.to_vec()),
            n => Err(DataError::Inconsistent {
                dataset: self.name.clone(),
                what: format!("{what} (one, or one per channel)"),
                expected: channels,
                found: n,
            }),
        }
    }
}

/// The table `b ↦ (b / 255 − mean) / std` for every byte value: scaling pixels to `[0, 1]` and normalising them
/// becomes one lookup per pixel.
pub(crate) fn byte_lut(mean: f32, std: f32) -> [f32; 256] {
    std::array::from_fn(|b| (b as f32 / 255.0 - mean) / std)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::test_support::tagged;

    #[test]
    fn normalize_per_channel_and_shared() {
        let mut data =
            Dataset::new(vec![1.0, 3.0, 10.0, 20.0], vec![0], vec![2, 2], 1, "n").unwrap();
        data.normalize(&[2.0, 15.0], &[1.0, 5.0]).unwrap();
        assert_eq!(data.inputs(), &[-1.0, 1.0, -1.0, 1.0]);
        data.normalize(&[1.0], &[2.0]).unwrap();
        assert_eq!(data.inputs(), &[-1.0, 0.0, -1.0, 0.0]);
        let (mean, std) = data.channel_mean_std();
        assert_eq!((mean, std), (vec![-0.5, -0.5], vec![0.5, 0.5]));
    }

    #[test]
    fn normalize_rejects_bad_constants_and_leaves_data() {
        let mut data = tagged(2);
        let before = data.clone();
        let err = data.normalize(&[0.0, 0.0, 0.0], &[1.0]).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Inconsistent {
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{err}"
        );
        let err = data.normalize(&[0.0], &[1.0, 0.0]).unwrap_err();
        assert!(matches!(err, DataError::BadStd { channel: 1, .. }), "{err}");
        let err = data.normalize(&[0.0], &[f32::NAN]).unwrap_err();
        assert!(matches!(err, DataError::BadStd { channel: 0, .. }), "{err}");
        assert_eq!(data, before);
    }

    #[test]
    fn byte_lut_scales_then_normalises() {
        let lut = byte_lut(0.5, 0.25);
        assert_eq!(lut[0], -2.0);
        assert!((lut[255] - 2.0).abs() < 1e-6);
        assert!((lut[51] - (0.2 - 0.5) / 0.25).abs() < 1e-6);
    }
}
