//! The oracle of `ops_jets.rs`: scalar power series (normalised coefficients, as the engine's jets) truncated at a
//! common order, and every op of the catalogue evaluated on tensors of series, written from the ops' definitions
//! with explicit index loops and the ODE recurrences of exp, log, tanh and sigmoid — independent of the engine's
//! Faà di Bruno tables and derivative polynomials.

use jetnewton_engine::ops::elementwise::UnaryFn;
use jetnewton_engine::Tensor;

use super::cases::Kind;

pub type Series = Vec<f64>;

pub fn s_const(c: f64, k: usize) -> Series {
    let mut s = vec![0.0; k + 1];
    s[0] = c;
    s
}

pub fn s_add(a: &Series, b: &Series) -> Series {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

pub fn s_scale(a: &Series, c: f64) -> Series {
    a.iter().map(|x| c * x).collect()
}

pub fn s_mul(a: &Series, b: &Series) -> Series {
    (0..a.len())
        .map(|k| (0..=k).map(|i| a[i] * b[k - i]).sum())
        .collect()
}

/// `Σ c_i a^i` by Horner's rule on series.
pub fn s_poly(c: &[f64], a: &Series) -> Series {
    let k = a.len() - 1;
    c.iter().rev().fold(s_const(0.0, k), |acc, &ci| {
        s_add(&s_mul(&acc, a), &s_const(ci, k))
    })
}

/// The series `y` of `y' = (c₀ + c₁ y + c₂ y²)·a'` with `y(0) = y0`: `n y_n = Σ_{j=1..n} j a_j w_{n−j}`, where `w`
/// is the series of the right-hand side polynomial (exp: c = (0,1,0); tanh: (1,0,−1); sigmoid: (0,1,−1)).
pub fn s_riccati(a: &Series, y0: f64, c: [f64; 3]) -> Series {
    let k = a.len() - 1;
    let mut y = vec![0.0; k + 1];
    let mut w = vec![0.0; k + 1];
    y[0] = y0;
    let w_at = |y: &[f64], m: usize| {
        let sq: f64 = (0..=m).map(|i| y[i] * y[m - i]).sum();
        (if m == 0 { c[0] } else { 0.0 }) + c[1] * y[m] + c[2] * sq
    };
    w[0] = w_at(&y, 0);
    for n in 1..=k {
        y[n] = (1..=n).map(|j| j as f64 * a[j] * w[n - j]).sum::<f64>() / n as f64;
        w[n] = w_at(&y, n);
    }
    y
}

pub fn s_exp(a: &Series) -> Series {
    s_riccati(a, a[0].exp(), [0.0, 1.0, 0.0])
}

/// `log a` from `a·y' = a'`: `y_n = (a_n − Σ_{j=1..n−1} (j/n) y_j a_{n−j}) / a₀`.
pub fn s_log(a: &Series) -> Series {
    let k = a.len() - 1;
    let mut y = vec![0.0; k + 1];
    y[0] = a[0].ln();
    for n in 1..=k {
        let s: f64 = (1..n).map(|j| j as f64 / n as f64 * y[j] * a[n - j]).sum();
        y[n] = (a[n] - s) / a[0];
    }
    y
}

/// `1/a` from `a·r = 1`.
pub fn s_recip(a: &Series) -> Series {
    let k = a.len() - 1;
    let mut r = vec![0.0; k + 1];
    r[0] = 1.0 / a[0];
    for n in 1..=k {
        r[n] = -(1..=n).map(|j| a[j] * r[n - j]).sum::<f64>() / a[0];
    }
    r
}

/// `f⁽ᵈ⁾(a(t))` for every function of the engine, `d ≤ 3`, from closed forms.
pub fn s_unary(f: &UnaryFn, d: usize, a: &Series) -> Series {
    let k = a.len() - 1;
    let x0 = a[0];
    match f {
        UnaryFn::Tanh => {
            let y = s_riccati(a, x0.tanh(), [1.0, 0.0, -1.0]);
            // tanh' = 1 − y², tanh'' = −2y(1 − y²), tanh''' = (6y² − 2)(1 − y²).
            let p: &[f64] = match d {
                0 => &[0.0, 1.0],
                1 => &[1.0, 0.0, -1.0],
                2 => &[0.0, -2.0, 0.0, 2.0],
                3 => &[-2.0, 0.0, 8.0, 0.0, -6.0],
                _ => unreachable!(),
            };
            s_poly(p, &y)
        }
        UnaryFn::Sigmoid => {
            let y = s_riccati(a, 1.0 / (1.0 + (-x0).exp()), [0.0, 1.0, -1.0]);
            // σ' = σ(1 − σ), σ'' = σ(1 − σ)(1 − 2σ), σ''' = σ(1 − σ)(1 − 6σ + 6σ²).
            let p: &[f64] = match d {
                0 => &[0.0, 1.0],
                1 => &[0.0, 1.0, -1.0],
                2 => &[0.0, 1.0, -3.0, 2.0],
                3 => &[0.0, 1.0, -7.0, 12.0, -6.0],
                _ => unreachable!(),
            };
            s_poly(p, &y)
        }
        UnaryFn::Exp => s_exp(a),
        UnaryFn::Log if d == 0 => s_log(a),
        UnaryFn::Log => {
            // log⁽ᵈ⁾(x) = (−1)^{d−1} (d−1)! x^{−d}.
            let r = s_recip(a);
            let mut p = s_const(1.0, k);
            for _ in 0..d {
                p = s_mul(&p, &r);
            }
            let fact: f64 = (1..d).map(|i| i as f64).product();
            s_scale(&p, if d % 2 == 1 { fact } else { -fact })
        }
        UnaryFn::Elu(alpha) if x0 < 0.0 => {
            let e = s_exp(a);
            if d == 0 {
                s_scale(&s_add(&e, &s_const(-1.0, k)), *alpha)
            } else {
                s_scale(&e, *alpha)
            }
        }
        UnaryFn::Elu(_) | UnaryFn::Relu if x0 > 0.0 => match d {
            0 => a.clone(),
            1 => s_const(1.0, k),
            _ => s_const(0.0, k),
        },
        UnaryFn::Relu => s_const(0.0, k),
        UnaryFn::Elu(_) => unreachable!("inputs are kept away from 0"),
        UnaryFn::Poly(c) => {
            let mut c: Vec<f64> = c.to_vec();
            for _ in 0..d {
                c = c
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, ci)| i as f64 * ci)
                    .collect();
            }
            s_poly(&c, a)
        }
    }
}

/// A tensor of series: `el[i]` is the series of element `i` (row-major).
#[derive(Clone, Debug)]
pub struct TS {
    pub shape: Vec<usize>,
    pub el: Vec<Series>,
}

impl TS {
    pub fn from_curve(x0: &Tensor<f64>, coeffs: &[Option<Tensor<f64>>], k: usize) -> Self {
        let el = (0..x0.numel())
            .map(|i| {
                let mut s = s_const(x0.data()[i], k);
                for (j, c) in coeffs.iter().enumerate().take(k) {
                    if let Some(c) = c {
                        s[j + 1] = c.data()[i];
                    }
                }
                s
            })
            .collect();
        Self {
            shape: x0.shape().to_vec(),
            el,
        }
    }

    pub fn map(&self, f: impl Fn(&Series) -> Series) -> Self {
        Self {
            shape: self.shape.clone(),
            el: self.el.iter().map(f).collect(),
        }
    }

    pub fn zip(&self, o: &Self, f: impl Fn(&Series, &Series) -> Series) -> Self {
        assert_eq!(self.shape, o.shape);
        Self {
            shape: self.shape.clone(),
            el: self.el.iter().zip(&o.el).map(|(a, b)| f(a, b)).collect(),
        }
    }

    pub fn order(&self) -> usize {
        self.el.first().map_or(0, |s| s.len() - 1)
    }

    /// Coefficient `k` of every element, row-major.
    pub fn coeff(&self, k: usize) -> Vec<f64> {
        self.el.iter().map(|s| s[k]).collect()
    }
}

pub fn log_softmax_rows(z: &TS) -> TS {
    let (b, c) = (z.shape[0], z.shape[1]);
    let k = z.order();
    let mut el = Vec::new();
    for r in 0..b {
        let row = &z.el[r * c..(r + 1) * c];
        let sum = row
            .iter()
            .fold(s_const(0.0, k), |acc, zj| s_add(&acc, &s_exp(zj)));
        let lse = s_log(&sum);
        el.extend(row.iter().map(|zj| s_add(zj, &s_scale(&lse, -1.0))));
    }
    TS {
        shape: z.shape.clone(),
        el,
    }
}

/// `op(xs)` on series, written from each op's definition with explicit index loops.
pub fn series_oracle(kind: &Kind, xs: &[TS]) -> TS {
    let k = xs[0].order();
    let zero = || s_const(0.0, k);
    match kind {
        Kind::Add => xs[0].zip(&xs[1], s_add),
        Kind::Sub => xs[0].zip(&xs[1], |a, b| s_add(a, &s_scale(b, -1.0))),
        Kind::Scale(c) => xs[0].map(|a| s_scale(a, *c)),
        Kind::Mul => xs[0].zip(&xs[1], s_mul),
        Kind::MatMul(op) => {
            let (a, b) = (&xs[0], &xs[1]);
            let at = |i: usize, l: usize| {
                if op.ta {
                    &a.el[l * a.shape[1] + i]
                } else {
                    &a.el[i * a.shape[1] + l]
                }
            };
            let bt = |l: usize, j: usize| {
                if op.tb {
                    &b.el[j * b.shape[1] + l]
                } else {
                    &b.el[l * b.shape[1] + j]
                }
            };
            let (m, inner) = if op.ta {
                (a.shape[1], a.shape[0])
            } else {
                (a.shape[0], a.shape[1])
            };
            let n = if op.tb { b.shape[0] } else { b.shape[1] };
            let mut el = Vec::new();
            for i in 0..m {
                for j in 0..n {
                    el.push(
                        (0..inner).fold(zero(), |acc, l| s_add(&acc, &s_mul(at(i, l), bt(l, j)))),
                    );
                }
            }
            TS {
                shape: vec![m, n],
                el,
            }
        }
        Kind::Broadcast(v) => {
            let total: usize = v.big.iter().product();
            TS {
                shape: v.big.clone(),
                el: (0..total)
                    .map(|f| xs[0].el[(f / v.inner) % v.mid].clone())
                    .collect(),
            }
        }
        Kind::SumTo(v) => {
            let mut el = vec![zero(); v.mid];
            for (f, s) in xs[0].el.iter().enumerate() {
                let m = (f / v.inner) % v.mid;
                el[m] = s_add(&el[m], s);
            }
            TS {
                shape: v.small.clone(),
                el,
            }
        }
        Kind::Reshape(_, to) => TS {
            shape: to.clone(),
            el: xs[0].el.clone(),
        },
        Kind::Gather(m) => TS {
            shape: m.out_shape.clone(),
            el: m.indices.iter().map(|&i| xs[0].el[i].clone()).collect(),
        },
        Kind::ScatterAdd(m) => {
            let mut el = vec![zero(); m.in_shape.iter().product()];
            for (o, &i) in m.indices.iter().enumerate() {
                el[i] = s_add(&el[i], &xs[0].el[o]);
            }
            TS {
                shape: m.in_shape.clone(),
                el,
            }
        }
        Kind::Unary(u) => xs[0].map(|a| s_unary(&u.f, u.deriv, a)),
        Kind::LogSoftmax => log_softmax_rows(&xs[0]),
        Kind::CrossEntropy(labels) => {
            let ls = log_softmax_rows(&xs[0]);
            let c = xs[0].shape[1];
            let total = labels
                .iter()
                .enumerate()
                .fold(zero(), |acc, (b, &l)| s_add(&acc, &ls.el[b * c + l]));
            TS {
                shape: vec![],
                el: vec![s_scale(&total, -1.0 / labels.len() as f64)],
            }
        }
        Kind::Mse => {
            let n = xs[0].el.len() as f64;
            let total = xs[0].el.iter().zip(&xs[1].el).fold(zero(), |acc, (a, b)| {
                let d = s_add(a, &s_scale(b, -1.0));
                s_add(&acc, &s_mul(&d, &d))
            });
            TS {
                shape: vec![],
                el: vec![s_scale(&total, 1.0 / n)],
            }
        }
        Kind::AddBias => {
            let c = xs[0].shape[1];
            let inner: usize = xs[0].shape[2..].iter().product();
            TS {
                shape: xs[0].shape.clone(),
                el: xs[0]
                    .el
                    .iter()
                    .enumerate()
                    .map(|(f, s)| s_add(s, &xs[1].el[(f / inner) % c]))
                    .collect(),
            }
        }
        Kind::GlobalAvgPool => {
            let s = &xs[0].shape;
            let hw = s[2] * s[3];
            TS {
                shape: vec![s[0], s[1]],
                el: xs[0]
                    .el
                    .chunks(hw)
                    .map(|plane| {
                        s_scale(
                            &plane.iter().fold(zero(), |acc, x| s_add(&acc, x)),
                            1.0 / hw as f64,
                        )
                    })
                    .collect(),
            }
        }
    }
}
