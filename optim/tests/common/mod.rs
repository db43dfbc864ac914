//! Oracles and linear algebra shared by the integration tests: quadratics with exact summaries, and a tiny MLP
//! built on the engine, optionally reparameterised per tensor.
#![allow(dead_code)]

pub mod kfac;

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Graph, Tensor};
use jetnewton_optim::{
    engine_gradient, engine_summaries, OptimResult as Result, Oracle, ParamLayout,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `L(θ) = ½θᵀAθ − bᵀθ` over the concatenation θ of the parameter tensors, with its exact gradient and exact
/// summaries (`d3 = 0`). With `noise > 0`, every call adds seeded noise of that scale to the gradient and to gbar,
/// drawn from the call counter, so a run is stochastic yet reproducible from a clone of the oracle.
#[derive(Clone, Debug)]
pub struct Quadratic {
    pub a: Vec<Vec<f64>>,
    pub b: Vec<f64>,
    pub noise: f64,
    pub calls: u64,
}

pub fn flatten(ts: &[Tensor<f64>]) -> Vec<f64> {
    ts.iter().flat_map(|t| t.data().to_vec()).collect()
}

/// Splits `v` into tensors of the shapes of `like`.
pub fn unflatten(v: &[f64], like: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    let mut at = 0;
    like.iter()
        .map(|t| {
            let n = t.numel();
            at += n;
            Tensor::from_vec(t.shape().to_vec(), v[at - n..at].to_vec()).unwrap()
        })
        .collect()
}

pub fn mat_vec(a: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    a.iter().map(|row| dot(row, x)).collect()
}

pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

impl Quadratic {
    pub fn new(a: Vec<Vec<f64>>, b: Vec<f64>) -> Self {
        Self {
            a,
            b,
            noise: 0.0,
            calls: 0,
        }
    }

    pub fn loss(&self, theta: &[f64]) -> f64 {
        0.5 * dot(theta, &mat_vec(&self.a, theta)) - dot(&self.b, theta)
    }

    fn noise_vec(&mut self, n: usize) -> Vec<f64> {
        self.calls += 1;
        let mut rng = ChaCha8Rng::seed_from_u64(self.calls);
        (0..n)
            .map(|_| self.noise * rng.random_range(-1.0..1.0))
            .collect()
    }
}

impl Oracle<f64> for Quadratic {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let theta = flatten(params);
        let noise = self.noise_vec(theta.len());
        let g: Vec<f64> = mat_vec(&self.a, &theta)
            .iter()
            .zip(&self.b)
            .zip(&noise)
            .map(|((ax, b), n)| ax - b + n)
            .collect();
        Ok((self.loss(&theta), unflatten(&g, params)))
    }

    fn summaries(
        &mut self,
        params: &[Tensor<f64>],
        direction: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries> {
        let theta = flatten(params);
        let noise = self.noise_vec(groups.len());
        let g: Vec<f64> = mat_vec(&self.a, &theta)
            .iter()
            .zip(&self.b)
            .map(|(ax, b)| ax - b)
            .collect();
        // u_s: the direction with every tensor outside group s zeroed.
        let u: Vec<Vec<f64>> = groups
            .iter()
            .map(|group| {
                let masked: Vec<Tensor<f64>> = direction
                    .iter()
                    .enumerate()
                    .map(|(p, t)| {
                        if group.contains(&p) {
                            t.clone()
                        } else {
                            Tensor::zeros(t.shape())
                        }
                    })
                    .collect();
                flatten(&masked)
            })
            .collect();
        let au: Vec<Vec<f64>> = u.iter().map(|u| mat_vec(&self.a, u)).collect();
        Ok(Summaries {
            loss: self.loss(&theta),
            gbar: u.iter().zip(&noise).map(|(u, n)| dot(&g, u) + n).collect(),
            hbar: u
                .iter()
                .map(|us| au.iter().map(|aut| dot(us, aut)).collect())
                .collect(),
            d3: vec![0.0; groups.len()],
            d3_slices: None,
        })
    }
}

/// A random symmetric positive definite matrix `MᵀM/n + shift·I`.
pub fn spd(n: usize, shift: f64, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let m: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..n).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    (0..n).map(|k| m[k][i] * m[k][j]).sum::<f64>() / n as f64
                        + if i == j { shift } else { 0.0 }
                })
                .collect()
        })
        .collect()
}

/// Solves `Ax = b` by Gaussian elimination with partial pivoting.
pub fn solve_dense(a: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .zip(b)
        .map(|(r, &b)| r.iter().copied().chain([b]).collect())
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .unwrap();
        m.swap(c, p);
        let pivot = m[c].clone();
        for row in m.iter_mut().skip(c + 1) {
            let f = row[c] / pivot[c];
            for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        x[r] = (m[r][n] - (r + 1..n).map(|k| m[r][k] * x[k]).sum::<f64>()) / m[r][r];
    }
    x
}

/// One scalar tensor per entry of `v`, named `θ{i}`.
pub fn scalars(v: &[f64]) -> (ParamLayout, Vec<Tensor<f64>>) {
    let params: Vec<Tensor<f64>> = v.iter().map(|&x| Tensor::scalar(x)).collect();
    let names = (0..v.len()).map(|i| format!("θ{i}")).collect();
    (ParamLayout::of(names, &params).unwrap(), params)
}

/// A tanh MLP `in → hidden → classes` with cross-entropy, on a fixed random data set, built on the engine.
///
/// Its parameters are `[0.weight, 0.bias, 1.weight, 1.bias]`. With `reparam = Some((alpha, beta))`, the optimiser
/// sees `θ̃_s = α_s·θ_s + β_s` for tensor `s`, and the graph recovers `θ_s = (θ̃_s − β_s)/α_s` with engine ops, so
/// gradients and summaries are those of the composed loss. Each call uses the next window of `batch` samples
/// (cyclically), so runs are stochastic yet reproducible.
#[derive(Clone, Debug)]
pub struct Mlp {
    pub dims: (usize, usize, usize),
    pub x: Vec<f64>,
    pub labels: Vec<usize>,
    pub batch: usize,
    pub cursor: usize,
    pub reparam: Option<(Vec<f64>, Vec<f64>)>,
}

impl Mlp {
    pub fn new(dims: (usize, usize, usize), samples: usize, batch: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = (0..samples * dims.0)
            .map(|_| rng.random_range(-1.5..1.5))
            .collect();
        let labels = (0..samples).map(|_| rng.random_range(0..dims.2)).collect();
        Self {
            dims,
            x,
            labels,
            batch,
            cursor: 0,
            reparam: None,
        }
    }

    pub fn names() -> Vec<String> {
        ["0.weight", "0.bias", "1.weight", "1.bias"]
            .map(String::from)
            .to_vec()
    }

    /// Seeded initial parameters, in the original parameterisation.
    pub fn init(&self, seed: u64) -> Vec<Tensor<f64>> {
        let (i, h, c) = self.dims;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        [vec![h, i], vec![h], vec![c, h], vec![c]]
            .into_iter()
            .map(|shape| {
                let n: usize = shape.iter().product();
                Tensor::from_vec(shape, (0..n).map(|_| rng.random_range(-0.8..0.8)).collect())
                    .unwrap()
            })
            .collect()
    }

    fn next_batch(&mut self) -> (Tensor<f64>, Vec<usize>) {
        let n = self.labels.len();
        let idx: Vec<usize> = (0..self.batch).map(|k| (self.cursor + k) % n).collect();
        self.cursor = (self.cursor + self.batch) % n;
        let d = self.dims.0;
        let x = idx
            .iter()
            .flat_map(|&i| self.x[i * d..(i + 1) * d].to_vec())
            .collect();
        (
            Tensor::from_vec(vec![self.batch, d], x).unwrap(),
            idx.iter().map(|&i| self.labels[i]).collect(),
        )
    }

    /// Builds the loss on `g`; returns its node and the parameter leaves.
    fn build(&mut self, g: &Graph<f64>, params: &[Tensor<f64>]) -> (usize, Vec<usize>) {
        let (x, labels) = self.next_batch();
        let names = Self::names();
        let mut leaves = Vec::new();
        let mut real = Vec::new();
        for (k, p) in params.iter().enumerate() {
            let leaf = g.param(names[k].clone(), p.clone());
            leaves.push(leaf.id());
            real.push(match &self.reparam {
                None => leaf,
                Some((alpha, beta)) => {
                    let shift = g.constant(Tensor::full(p.shape(), beta[k]));
                    leaf.sub(shift).unwrap().scale(1.0 / alpha[k]).unwrap()
                }
            });
        }
        let h = g
            .constant(x)
            .matmul_t(real[0])
            .unwrap()
            .add_bias(real[1])
            .unwrap()
            .tanh()
            .unwrap();
        let logits = h.matmul_t(real[2]).unwrap().add_bias(real[3]).unwrap();
        (logits.cross_entropy(&labels).unwrap().id(), leaves)
    }

    /// Maps original parameters to the optimiser's: `α_s·θ_s + β_s`.
    pub fn to_reparam(&self, params: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
        let (alpha, beta) = self.reparam.as_ref().unwrap();
        params
            .iter()
            .enumerate()
            .map(|(k, t)| t.map(|v| alpha[k] * v + beta[k]))
            .collect()
    }

    /// Maps the optimiser's parameters back: `(θ̃_s − β_s)/α_s`.
    pub fn back_from_reparam(&self, params: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
        let (alpha, beta) = self.reparam.as_ref().unwrap();
        params
            .iter()
            .enumerate()
            .map(|(k, t)| t.map(|v| (v - beta[k]) / alpha[k]))
            .collect()
    }
}

impl Oracle<f64> for Mlp {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let g = Graph::new();
        let (loss, leaves) = self.build(&g, params);
        engine_gradient(&g, loss, &leaves)
    }

    fn summaries(
        &mut self,
        params: &[Tensor<f64>],
        direction: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries> {
        let g = Graph::new();
        let (loss, leaves) = self.build(&g, params);
        engine_summaries(&g, loss, &leaves, direction, groups)
    }
}
