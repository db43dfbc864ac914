//! The factors of a tiny MLP and a tiny convolutional net against hand computations from the minibatch, the
//! sampler of labels, and a short K-FAC training run through the oracle.

use super::sample::sample_labels;
use super::*;
use jetnewton_engine::Graph;
use jetnewton_nets::data::{synthetic, Dataset, MinibatchSampler};
use jetnewton_nets::{Activation, Layer, Model};
use jetnewton_optim::Oracle;

/// The oracle's answer with factors on its first `D_g` minibatch, the same minibatch drawn by a twin sampler,
/// the labels it sampled, and the parameters.
fn answer(
    model: &Model,
    data: &Dataset,
    batch_size: usize,
    seed: u64,
) -> (KfacGradient<f64>, Batch, Vec<usize>, Vec<Tensor<f64>>) {
    let s = || MinibatchSampler::new(data.len(), batch_size, 5).unwrap();
    let mut o = ModelOracle::new(model.clone(), data, s(), s()).unwrap();
    let params = o.initial_params::<f64>(3);
    let ans = o.loss_gradient_and_kfac(&params, seed, true).unwrap();
    let mut batch = Batch::new();
    s().next_batch(data, &mut batch).unwrap();
    // The labels the oracle sampled: the same generator on the same logits.
    let g = Graph::new();
    let fwd = o.forward(&g, &params, &batch).unwrap();
    let sampled = sample_labels(&fwd.logits.value(), seed);
    // Without factors: the same loss and gradient as `loss_and_gradient` on the same minibatch.
    let mut twin = ModelOracle::new(model.clone(), data, s(), s()).unwrap();
    let (loss, grads) = twin.loss_and_gradient(&params).unwrap();
    assert_eq!((ans.loss, &ans.gradient), (loss, &grads));
    let plain = twin.loss_gradient_and_kfac(&params, seed, false).unwrap();
    assert!(plain.layers.is_none());
    (ans, batch, sampled, params)
}

/// `(1/N) Σ ã ãᵀ` of rows `ã = [x, 1]` given as vectors.
fn mean_outer(rows: &[Vec<f64>], scale: f64) -> Vec<f64> {
    let d = rows[0].len();
    let mut m = vec![0.0; d * d];
    for r in rows {
        for i in 0..d {
            for j in 0..d {
                m[i * d + j] += r[i] * r[j] * scale;
            }
        }
    }
    m
}

/// `softmax(z) − e_y`, divided by `N`: the gradient of the mean cross-entropy with respect to the logits `z`.
fn logits_grad(z: &[f64], y: usize, n: usize) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter()
        .enumerate()
        .map(|(k, v)| (v / s - f64::from(u8::from(k == y))) / n as f64)
        .collect()
}

fn close(got: &Tensor<f64>, want: &[f64], what: &str) {
    assert_eq!(got.numel(), want.len(), "{what}");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (g, w) in got.data().iter().zip(want) {
        // Tolerance: sums of a few hundred products of order-1 values in another order, ~1e-15 relative.
        assert!((g - w).abs() < 1e-12 * scale, "{what}: {g} vs {w}");
    }
}

#[test]
fn kfac_trains_a_small_mlp() {
    use jetnewton_optim::{Kfac, KfacConfig, Optimizer};
    let data = synthetic(1000, &[8], 4, 5).unwrap();
    let s = |seed| MinibatchSampler::new(data.len(), 50, seed).unwrap();
    let model = Model::from_spec("mlp:8-16-4:tanh").unwrap();
    let mut o = ModelOracle::new(model, &data, s(1), s(2)).unwrap();
    let mut params = o.initial_params::<f32>(3);
    let all: Vec<usize> = (0..data.len()).collect();
    let before = o.loss_on(&params, &all).unwrap();
    let mut kfac = Kfac::new(o.layout(), KfacConfig::default()).unwrap();
    for _ in 0..300 {
        assert!(kfac.step(&mut params, &mut o).unwrap().loss.is_finite());
    }
    let after = o.loss_on(&params, &all).unwrap();
    // The same bar as Adam's and Method 1's in `oracle.rs` (initial loss 1.8, a trained model near 0.1).
    assert!(after < 0.2 * before, "K-FAC: {before} → {after}");
}

#[test]
fn sampled_labels_follow_the_predictive_distribution() {
    // Two classes with probabilities 1/4 and 3/4, and a third with none.
    let rows = 4000;
    let logits = Tensor::from_vec(
        vec![rows, 3],
        (0..rows)
            .flat_map(|_| [0.0, 3f64.ln(), f64::NEG_INFINITY])
            .collect(),
    )
    .unwrap();
    let labels = sample_labels(&logits, 9);
    let ones = labels.iter().filter(|&&l| l == 1).count();
    // Binomial(4000, 3/4): sd 27.4; 4 sd either side (the draw is fixed by the seed, so this cannot flake).
    assert!((ones as f64 - 3000.0).abs() < 110.0, "{ones}");
    assert!(labels.iter().all(|&l| l < 2));
    assert_eq!(labels, sample_labels(&logits, 9));
    assert_ne!(labels, sample_labels(&logits, 10));
}

#[test]
fn mlp_factors_match_a_hand_computation() {
    let model = Model::from_spec("mlp:5-4-3:tanh").unwrap();
    let data = synthetic(24, &[5], 3, 2).unwrap();
    let n = 6;
    let (ans, batch, y, p) = answer(&model, &data, n, 17);
    let (w0, b0, w1, b1) = (p[0].data(), p[1].data(), p[2].data(), p[3].data());
    let x: Vec<f64> = batch.inputs().iter().map(|&v| f64::from(v)).collect();
    let (mut a0_rows, mut a1_rows, mut g0_rows, mut g1_rows) = (vec![], vec![], vec![], vec![]);
    for s in 0..n {
        let xs = &x[s * 5..(s + 1) * 5];
        let h: Vec<f64> = (0..4)
            .map(|o| (b0[o] + (0..5).map(|i| w0[o * 5 + i] * xs[i]).sum::<f64>()).tanh())
            .collect();
        let z: Vec<f64> = (0..3)
            .map(|o| b1[o] + (0..4).map(|i| w1[o * 4 + i] * h[i]).sum::<f64>())
            .collect();
        let g1 = logits_grad(&z, y[s], n);
        let g0: Vec<f64> = (0..4)
            .map(|i| (0..3).map(|o| w1[o * 4 + i] * g1[o]).sum::<f64>() * (1.0 - h[i] * h[i]))
            .collect();
        a0_rows.push(xs.iter().copied().chain([1.0]).collect::<Vec<f64>>());
        a1_rows.push(h.iter().copied().chain([1.0]).collect::<Vec<f64>>());
        g0_rows.push(g0);
        g1_rows.push(g1);
    }
    let layers = ans.layers.unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!((layers[0].weight, layers[0].bias), (0, Some(1)));
    assert_eq!((layers[1].weight, layers[1].bias), (2, Some(3)));
    let inv_n = 1.0 / n as f64;
    close(&layers[0].a, &mean_outer(&a0_rows, inv_n), "A of layer 0");
    close(&layers[1].a, &mean_outer(&a1_rows, inv_n), "A of layer 1");
    // G = N Σ g gᵀ with g the gradient of the mean loss (so N·g is a sample's own gradient).
    close(
        &layers[0].g,
        &mean_outer(&g0_rows, n as f64),
        "G of layer 0",
    );
    close(
        &layers[1].g,
        &mean_outer(&g1_rows, n as f64),
        "G of layer 1",
    );
}

#[test]
fn conv_factors_match_a_hand_computation() {
    // conv 3×3, 2 → 3 channels, stride 2, padding 1 on 5×5 (3×3 outputs, P = 9), tanh, linear 27 → 4.
    let (c, side, o, k, out) = (2, 5, 3, 3, 3);
    let model = Model::new(
        vec![
            Layer::Conv2d {
                in_ch: c,
                out_ch: o,
                kernel: k,
                stride: 2,
                padding: 1,
            },
            Layer::Act(Activation::Tanh),
            Layer::Flatten,
            Layer::Linear {
                in_features: o * out * out,
                out_features: 4,
            },
        ],
        vec![c, side, side],
        4,
    )
    .unwrap();
    let data = synthetic(16, &[c, side, side], 4, 4).unwrap();
    let n = 4;
    let (ans, batch, y, p) = answer(&model, &data, n, 23);
    let (w0, b0, w1, b1) = (p[0].data(), p[1].data(), p[2].data(), p[3].data());
    let x: Vec<f64> = batch.inputs().iter().map(|&v| f64::from(v)).collect();
    let pix = out * out;
    let (mut patches, mut flats, mut gconv, mut glin) = (vec![], vec![], vec![], vec![]);
    for s in 0..n {
        let at = |ch: usize, r: isize, q: isize| -> f64 {
            let inside = (0..side as isize).contains(&r) && (0..side as isize).contains(&q);
            if inside {
                x[((s * c + ch) * side + r as usize) * side + q as usize]
            } else {
                0.0
            }
        };
        // The sample's patches, one per output position, in (channel, kernel row, kernel column) order.
        let mut sp = vec![];
        for oy in 0..out {
            for ox in 0..out {
                let mut patch = vec![];
                for ch in 0..c {
                    for i in 0..k {
                        for j in 0..k {
                            patch.push(at(
                                ch,
                                (oy * 2 + i) as isize - 1,
                                (ox * 2 + j) as isize - 1,
                            ));
                        }
                    }
                }
                patch.push(1.0);
                sp.push(patch);
            }
        }
        // h[o, pos] = tanh(w0[o] · patch + b0[o]), flattened in (o, pos) order.
        let h: Vec<f64> = (0..o)
            .flat_map(|f| {
                sp.iter()
                    .map(|patch| {
                        let dot: f64 = (0..c * k * k)
                            .map(|e| w0[f * c * k * k + e] * patch[e])
                            .sum();
                        (dot + b0[f]).tanh()
                    })
                    .collect::<Vec<f64>>()
            })
            .collect();
        let z: Vec<f64> = (0..4)
            .map(|m| {
                b1[m]
                    + (0..o * pix)
                        .map(|e| w1[m * o * pix + e] * h[e])
                        .sum::<f64>()
            })
            .collect();
        let g1 = logits_grad(&z, y[s], n);
        // The gradient at the convolution's output, per position: a vector over its channels.
        let gh: Vec<f64> = (0..o * pix)
            .map(|e| (0..4).map(|m| w1[m * o * pix + e] * g1[m]).sum::<f64>() * (1.0 - h[e] * h[e]))
            .collect();
        for pos in 0..pix {
            gconv.push((0..o).map(|f| gh[f * pix + pos]).collect::<Vec<f64>>());
        }
        patches.extend(sp);
        flats.push(h.iter().copied().chain([1.0]).collect::<Vec<f64>>());
        glin.push(g1);
    }
    let layers = ans.layers.unwrap();
    assert_eq!((layers[0].weight, layers[0].bias), (0, Some(1)));
    assert_eq!(layers[0].a.shape(), [c * k * k + 1, c * k * k + 1]);
    let (nf, pf) = (n as f64, pix as f64);
    // KFAC-Pytorch's scaling: A over all patches / (N·P²), G = N·P Σ g gᵀ.
    close(
        &layers[0].a,
        &mean_outer(&patches, 1.0 / (nf * pf * pf)),
        "conv A",
    );
    close(&layers[0].g, &mean_outer(&gconv, nf * pf), "conv G");
    close(&layers[1].a, &mean_outer(&flats, 1.0 / nf), "linear A");
    close(&layers[1].g, &mean_outer(&glin, nf), "linear G");
}
