//! Truncated Taylor series of order 3 in f64, the oracle of the jet kernels: compositions built
//! from `exp`, `ln` and reciprocals by their textbook recurrences, independent of the derivative
//! formulas the kernels use. Coefficient k is the k-th derivative divided by k!.

use std::ops::{Add, Mul, Neg, Sub};

/// `s0 + s1 t + s2 t^2 + s3 t^3`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series(pub [f64; 4]);

impl Series {
    /// A constant.
    pub fn constant(c: f64) -> Self {
        Series([c, 0.0, 0.0, 0.0])
    }

    /// `e^s`: e_0 = exp(s_0), k e_k = sum_{j=1..k} j s_j e_{k-j}.
    pub fn exp(self) -> Self {
        let s = self.0;
        let mut e = [s[0].exp(), 0.0, 0.0, 0.0];
        for k in 1..4 {
            e[k] = (1..=k).map(|j| j as f64 * s[j] * e[k - j]).sum::<f64>() / k as f64;
        }
        Series(e)
    }

    /// `ln s` (s_0 > 0): s_0 k l_k = k s_k - sum_{j=1..k-1} j l_j s_{k-j}.
    pub fn ln(self) -> Self {
        let s = self.0;
        let mut l = [s[0].ln(), 0.0, 0.0, 0.0];
        for k in 1..4 {
            let inner: f64 = (1..k).map(|j| j as f64 * l[j] * s[k - j]).sum();
            l[k] = (k as f64 * s[k] - inner) / (k as f64 * s[0]);
        }
        Series(l)
    }

    /// `1 / s`: r_0 = 1/s_0, r_k = -(1/s_0) sum_{j=1..k} s_j r_{k-j}.
    pub fn recip(self) -> Self {
        let s = self.0;
        let mut r = [1.0 / s[0], 0.0, 0.0, 0.0];
        for k in 1..4 {
            r[k] = -(1..=k).map(|j| s[j] * r[k - j]).sum::<f64>() / s[0];
        }
        Series(r)
    }

    /// `tanh s = 1 - 2 / (e^{2s} + 1)`.
    pub fn tanh(self) -> Self {
        let one = Series::constant(1.0);
        one - Series::constant(2.0) * ((Series::constant(2.0) * self).exp() + one).recip()
    }

    /// `sigmoid s = 1 / (1 + e^{-s})`.
    pub fn sigmoid(self) -> Self {
        (Series::constant(1.0) + (-self).exp()).recip()
    }

    /// Only the coefficients up to `order`, the rest zero.
    pub fn truncate(self, order: usize) -> Self {
        let mut s = self.0;
        s.iter_mut().skip(order + 1).for_each(|v| *v = 0.0);
        Series(s)
    }
}

impl Add for Series {
    type Output = Series;
    fn add(self, o: Series) -> Series {
        Series(std::array::from_fn(|k| self.0[k] + o.0[k]))
    }
}

impl Sub for Series {
    type Output = Series;
    fn sub(self, o: Series) -> Series {
        Series(std::array::from_fn(|k| self.0[k] - o.0[k]))
    }
}

impl Neg for Series {
    type Output = Series;
    fn neg(self) -> Series {
        Series(self.0.map(|v| -v))
    }
}

/// The Cauchy product.
impl Mul for Series {
    type Output = Series;
    fn mul(self, o: Series) -> Series {
        Series(std::array::from_fn(|k| {
            (0..=k).map(|i| self.0[i] * o.0[k - i]).sum()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrences_invert_each_other() {
        let s = Series([0.3, -0.7, 0.2, 0.5]);
        let back = s.exp().ln();
        for k in 0..4 {
            assert!((back.0[k] - s.0[k]).abs() < 1e-14);
        }
        let one = s.exp() * s.exp().recip();
        assert!((one.0[0] - 1.0).abs() < 1e-14 && one.0[1..].iter().all(|v| v.abs() < 1e-14));
    }
}
