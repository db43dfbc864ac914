//! Building a model on an engine graph: parameters registered by name, in forward order, then the layers.

use jetnewton_engine::{Float, Graph, NodeId, Tensor, Var};

use crate::error::{NetsError, Result};
use crate::models::{Activation, Layer, Model};
use crate::params::Params;

/// `(name, node id)` of every parameter leaf of a graph, in forward order.
pub type ParamIds = Vec<(String, NodeId)>;

/// A model built on a graph: its input, its logits, its parameter leaves, and the nodes around each layer that
/// has parameters.
#[derive(Clone)]
pub struct Forward<'g, F: Float> {
    /// The input batch, a constant leaf of shape `[B, …input_shape]`.
    pub input: Var<'g, F>,
    /// The class scores, `[B, num_classes]`.
    pub logits: Var<'g, F>,
    /// The parameter leaves with their names, in forward (= [`Model::param_specs`]) order.
    pub params: Vec<(String, Var<'g, F>)>,
    /// Every linear and convolutional layer, in forward order.
    pub layers: Vec<LayerVars<'g, F>>,
}

/// A linear or convolutional layer as built on a graph: its input and its output nodes, which per-layer
/// statistics (K-FAC's Kronecker factors) are computed from.
#[derive(Clone)]
pub struct LayerVars<'g, F: Float> {
    /// The layer, with its geometry (kernel, stride, padding).
    pub layer: Layer,
    /// The name of its weight, `{i}.weight`.
    pub weight: String,
    /// The name of its bias, `{i}.bias`.
    pub bias: String,
    /// What the layer multiplies: `[B, in_features]` for a linear layer (after flattening a 4-D activation),
    /// `[B, C, H, W]` for a convolution (before padding).
    pub input: Var<'g, F>,
    /// Its output after the bias, before any activation: `[B, out]` or `[B, O, Ho, Wo]`.
    pub output: Var<'g, F>,
}

impl<'g, F: Float> Forward<'g, F> {
    /// The parameter leaf named `name`.
    pub fn param(&self, name: &str) -> Option<Var<'g, F>> {
        self.params.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// `(name, node id)` of every parameter leaf, in forward order.
    pub fn param_ids(&self) -> ParamIds {
        self.params
            .iter()
            .map(|(n, v)| (n.clone(), v.id()))
            .collect()
    }
}

impl Model {
    /// The batch size of an input of shape `[B, …]`, checked against the input shape: the trailing axes must equal
    /// [`Model::input_shape`], or hold as many elements (a flattened `[B, C·H·W]` batch for a `[C, H, W]` model,
    /// or `[B, 1, 28, 28]` images for a `[784]` MLP). `B` must be at least 1.
    pub fn batch_size(&self, shape: &[usize]) -> Result<usize> {
        let per_sample: usize = self.input_shape().iter().product();
        match shape.split_first() {
            Some((&b, rest))
                if b > 0 && !rest.is_empty() && rest.iter().product::<usize>() == per_sample =>
            {
                Ok(b)
            }
            _ => Err(NetsError::InputShape {
                expected: self.input_shape().to_vec(),
                found: shape.to_vec(),
            }),
        }
    }

    /// Registers every parameter with `graph.param(name, tensor)` in forward order, the batch `x`
    /// (`[B, …input_shape]`, see [`Model::batch_size`]) as a constant, and applies the layers. A linear layer
    /// after a 4-D activation flattens it first.
    ///
    /// Errors when `params` are not exactly the model's tensors (by name and shape) or `x` does not fit.
    pub fn forward<'g, F: Float>(
        &self,
        graph: &'g Graph<F>,
        params: &Params<F>,
        x: Tensor<F>,
    ) -> Result<Forward<'g, F>> {
        let batch = self.batch_size(x.shape())?;
        params.check(self)?;
        let mut shape = vec![batch];
        shape.extend_from_slice(self.input_shape());
        let input = graph.constant(x.reshape(&shape)?);
        let mut h = input;
        let mut registered = Vec::with_capacity(params.len());
        let mut layers = Vec::with_capacity(params.len() / 2);
        for layer in self.layers() {
            h = match *layer {
                Layer::Linear { .. } => {
                    let (w, b) = register_layer(graph, params, &mut registered)?;
                    let flat = if h.shape().len() > 2 { h.flatten()? } else { h };
                    let out = flat.matmul_t(w)?.add_bias(b)?;
                    layers.push(layer_vars(layer, &registered, flat, out));
                    out
                }
                Layer::Conv2d {
                    stride, padding, ..
                } => {
                    let (w, b) = register_layer(graph, params, &mut registered)?;
                    let out = h
                        .conv2d(w, (stride, stride), (padding, padding))?
                        .add_bias(b)?;
                    layers.push(layer_vars(layer, &registered, h, out));
                    out
                }
                Layer::Act(a) => activate(h, a)?,
                Layer::MaxPool2d { kernel, stride } => h.max_pool2d(kernel, stride)?,
                Layer::AvgPool2d { kernel, stride } => h.avg_pool2d(kernel, stride)?,
                Layer::GlobalAvgPool => h.global_avg_pool()?,
                Layer::Flatten => h.flatten()?,
            };
        }
        Ok(Forward {
            input,
            logits: h,
            params: registered,
            layers,
        })
    }

    /// [`Model::forward`] followed by the mean cross-entropy against `labels` (one per sample, each below
    /// [`Model::num_classes`]). Returns the loss and `(name, node id)` of every parameter leaf in forward order.
    pub fn loss<'g, F: Float>(
        &self,
        graph: &'g Graph<F>,
        params: &Params<F>,
        x: Tensor<F>,
        labels: &[usize],
    ) -> Result<(Var<'g, F>, ParamIds)> {
        let batch = self.batch_size(x.shape())?;
        self.check_labels(labels, batch)?;
        let fwd = self.forward(graph, params, x)?;
        Ok((fwd.logits.cross_entropy(labels)?, fwd.param_ids()))
    }

    /// Checks that there is one label per sample and each is a class of the model.
    pub fn check_labels(&self, labels: &[usize], batch: usize) -> Result<()> {
        if labels.len() != batch {
            return Err(NetsError::Labels {
                reason: format!("{} labels for a batch of {batch} samples", labels.len()),
            });
        }
        if let Some((i, &l)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l >= self.num_classes())
        {
            return Err(NetsError::Labels {
                reason: format!(
                    "sample {i} has label {l}, but the model has {} classes",
                    self.num_classes()
                ),
            });
        }
        Ok(())
    }
}

/// Registers `{i}.weight` and `{i}.bias` of the next parameterised layer `i` (counted by what is registered).
fn register_layer<'g, F: Float>(
    graph: &'g Graph<F>,
    params: &Params<F>,
    registered: &mut Vec<(String, Var<'g, F>)>,
) -> Result<(Var<'g, F>, Var<'g, F>)> {
    let index = registered.len() / 2;
    let mut take = |suffix: &str| {
        let name = format!("{index}.{suffix}");
        let value = params.get(&name).cloned().ok_or_else(|| NetsError::Param {
            name: name.clone(),
            reason: "missing".into(),
        })?;
        let var = graph.param(name.clone(), value);
        registered.push((name, var));
        Ok::<_, NetsError>(var)
    };
    Ok((take("weight")?, take("bias")?))
}

/// The [`LayerVars`] of the layer whose weight and bias were just registered (the last two entries).
fn layer_vars<'g, F: Float>(
    layer: &Layer,
    registered: &[(String, Var<'g, F>)],
    input: Var<'g, F>,
    output: Var<'g, F>,
) -> LayerVars<'g, F> {
    let names = &registered[registered.len() - 2..];
    LayerVars {
        layer: layer.clone(),
        weight: names[0].0.clone(),
        bias: names[1].0.clone(),
        input,
        output,
    }
}

/// Applies an activation.
fn activate<F: Float>(h: Var<'_, F>, a: Activation) -> jetnewton_engine::Result<Var<'_, F>> {
    match a {
        Activation::Tanh => h.tanh(),
        Activation::Elu => h.elu(),
        Activation::Relu => h.relu(),
        Activation::Sigmoid => h.sigmoid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetnewton_engine::Graph;

    /// The model's loss on `(x, y)` with `params`, as a plain number.
    fn loss_value(model: &Model, params: &Params<f64>, x: &Tensor<f64>, y: &[usize]) -> f64 {
        let g = Graph::new();
        let (loss, _) = model.loss(&g, params, x.clone(), y).unwrap();
        loss.value().item().unwrap()
    }

    /// Checks the engine's gradient of `model`'s loss against central differences at a few entries per tensor.
    fn check_gradient(model: &Model, x: Tensor<f64>, y: &[usize], seed: u64) {
        let params = model.init_params::<f64>(seed);
        // Non-zero biases, so their derivatives are exercised away from the initial point.
        let mut params = params;
        for (k, spec) in model.param_specs().iter().enumerate() {
            let t = params.get_mut(&spec.name).unwrap();
            for (i, v) in t.data_mut().iter_mut().enumerate() {
                *v += 0.01 * (((i * 7 + k * 3) % 11) as f64 - 5.0) / 5.0;
            }
        }
        let g = Graph::new();
        let (loss, ids) = model.loss(&g, &params, x.clone(), y).unwrap();
        let nodes: Vec<usize> = ids.iter().map(|(_, id)| *id).collect();
        let grads = g.grad(loss.id(), &nodes).unwrap();
        for ((name, _), grad) in ids.iter().zip(&grads) {
            let n = grad.numel();
            for i in [0, n / 3, n - 1] {
                let h = 1e-5;
                let mut plus = params.clone();
                plus.get_mut(name).unwrap().data_mut()[i] += h;
                let mut minus = params.clone();
                minus.get_mut(name).unwrap().data_mut()[i] -= h;
                let fd = (loss_value(model, &plus, &x, y) - loss_value(model, &minus, &x, y))
                    / (2.0 * h);
                let an = grad.data()[i];
                assert!(
                    (fd - an).abs() <= 1e-7 * (1.0 + an.abs()),
                    "{name}[{i}]: fd {fd} vs {an}"
                );
            }
        }
    }

    /// A deterministic batch of `shape`.
    fn batch(shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
            .collect();
        Tensor::from_vec(shape.to_vec(), data).unwrap()
    }

    #[test]
    fn mlp_logits_match_a_hand_computation() {
        let model = Model::from_spec("mlp:3-2-2:tanh").unwrap();
        let w0 = [0.5, -0.25, 1.0, 0.75, 0.0, -0.5];
        let (b0, w1, b1) = ([0.1, -0.2], [1.0, 2.0, -1.5, 0.5], [0.3, -0.3]);
        let t = |shape: Vec<usize>, d: &[f64]| Tensor::from_vec(shape, d.to_vec()).unwrap();
        let params = Params::new(vec![
            ("0.weight".into(), t(vec![2, 3], &w0)),
            ("0.bias".into(), t(vec![2], &b0)),
            ("1.weight".into(), t(vec![2, 2], &w1)),
            ("1.bias".into(), t(vec![2], &b1)),
        ])
        .unwrap();
        let x = [0.2, -0.4, 0.6, 1.0, 0.5, -1.0];
        let g = Graph::new();
        let fwd = model.forward(&g, &params, t(vec![2, 3], &x)).unwrap();
        let logits = fwd.logits.value();
        assert_eq!(logits.shape(), &[2, 2]);
        for b in 0..2 {
            let h: Vec<f64> = (0..2)
                .map(|o| (b0[o] + (0..3).map(|i| w0[o * 3 + i] * x[b * 3 + i]).sum::<f64>()).tanh())
                .collect();
            for o in 0..2 {
                let want = b1[o] + w1[o * 2] * h[0] + w1[o * 2 + 1] * h[1];
                assert!((logits.data()[b * 2 + o] - want).abs() < 1e-15);
            }
        }
        let registered: Vec<String> = g.params().into_iter().map(|(_, n)| n).collect();
        assert_eq!(registered, model.param_names());
        assert_eq!(
            fwd.param("1.bias").map(|v| v.id()),
            Some(fwd.param_ids()[3].1)
        );
        assert_eq!(fwd.input.shape(), [2, 3]);
        // The layer records: inputs and pre-activation outputs, in forward order.
        let names: Vec<(&str, &str)> = fwd
            .layers
            .iter()
            .map(|l| (l.weight.as_str(), l.bias.as_str()))
            .collect();
        assert_eq!(names, [("0.weight", "0.bias"), ("1.weight", "1.bias")]);
        assert_eq!(fwd.layers[0].input.id(), fwd.input.id());
        assert_eq!(fwd.layers[1].output.id(), fwd.logits.id());
        let pre = fwd.layers[0].output.value();
        let h = fwd.layers[1].input.value();
        for (p, h) in pre.data().iter().zip(h.data()) {
            assert_eq!(p.tanh(), *h);
        }
    }

    #[test]
    fn layer_records_of_a_conv_net_see_flattened_linear_inputs() {
        let lenet = Model::from_spec("lenet5:1x28x28:tanh").unwrap();
        let g = Graph::new();
        let fwd = lenet
            .forward(&g, &lenet.init_params::<f64>(0), batch(&[2, 1, 28, 28]))
            .unwrap();
        let shapes: Vec<(Vec<usize>, Vec<usize>)> = fwd
            .layers
            .iter()
            .map(|l| (l.input.shape(), l.output.shape()))
            .collect();
        assert_eq!(shapes.len(), 5);
        assert_eq!(shapes[0], (vec![2, 1, 28, 28], vec![2, 6, 24, 24]));
        assert!(matches!(
            fwd.layers[0].layer,
            Layer::Conv2d { kernel: 5, .. }
        ));
        // The first linear layer multiplies the flattened pooled features.
        assert_eq!(shapes[2].0.len(), 2);
        assert_eq!(shapes[4].1, vec![2, 10]);
    }

    #[test]
    fn batch_and_label_checks() {
        let model = Model::from_spec("mlp:4-3-2:tanh").unwrap();
        let params = model.init_params::<f64>(0);
        let g = Graph::new();
        let err = model.forward(&g, &params, batch(&[2, 5])).err().unwrap();
        assert!(matches!(err, NetsError::InputShape { .. }), "{err}");
        assert!(
            err.to_string().contains("[2, 5]") && err.to_string().contains("[B, 4]"),
            "{err}"
        );
        assert!(model.forward(&g, &params, batch(&[0, 4])).is_err());
        assert!(model.forward(&g, &params, batch(&[4])).is_err());
        // Images of as many pixels as the MLP's input are flattened.
        let fwd = model.forward(&g, &params, batch(&[3, 1, 2, 2])).unwrap();
        assert_eq!(fwd.logits.shape(), [3, 2]);
        let err = model.loss(&g, &params, batch(&[2, 4]), &[0]).err().unwrap();
        assert!(
            err.to_string().contains("1 labels for a batch of 2"),
            "{err}"
        );
        let err = model
            .loss(&g, &params, batch(&[2, 4]), &[0, 2])
            .err()
            .unwrap();
        assert!(err.to_string().contains("sample 1 has label 2"), "{err}");
        let mut wrong = params.clone().into_entries();
        wrong.swap(0, 2);
        wrong[0].0 = "0.weight".into();
        wrong[2].0 = "1.weight".into();
        let err = model
            .forward(&g, &Params::new(wrong).unwrap(), batch(&[2, 4]))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("parameter `0.weight`: shape [2, 3]"),
            "{err}"
        );
    }

    #[test]
    fn mlp_and_lenet_gradients_match_finite_differences() {
        let mlp = Model::from_spec("mlp:5-4-3-3:elu").unwrap();
        check_gradient(&mlp, batch(&[4, 5]), &[0, 2, 1, 2], 1);
        let lenet = Model::from_spec("lenet5:2x16x16:sigmoid").unwrap();
        check_gradient(&lenet, batch(&[2, 2, 16, 16]), &[3, 9], 2);
    }

    #[test]
    fn pooling_layers_and_vgg_run_and_differentiate() {
        let custom = Model::new(
            vec![
                Layer::Conv2d {
                    in_ch: 1,
                    out_ch: 3,
                    kernel: 3,
                    stride: 2,
                    padding: 1,
                },
                Layer::Act(Activation::Relu),
                Layer::AvgPool2d {
                    kernel: 2,
                    stride: 1,
                },
                Layer::Conv2d {
                    in_ch: 3,
                    out_ch: 4,
                    kernel: 1,
                    stride: 1,
                    padding: 0,
                },
                Layer::GlobalAvgPool,
                Layer::Linear {
                    in_features: 4,
                    out_features: 3,
                },
            ],
            vec![1, 7, 7],
            3,
        )
        .unwrap();
        check_gradient(&custom, batch(&[2, 1, 7, 7]), &[2, 0], 3);
        let vgg = Model::from_spec("vgg11p:3x4x4").unwrap();
        let g = Graph::new();
        let fwd = vgg
            .forward(&g, &vgg.init_params(4), batch(&[2, 3, 4, 4]))
            .unwrap();
        assert_eq!(fwd.logits.shape(), [2, 10]);
        assert!(fwd.logits.value().data().iter().all(|v| v.is_finite()));
        assert_eq!(fwd.params.len(), 18);
    }
}
