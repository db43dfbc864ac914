//! Parameter descriptions ([`ParamSpec`]) and values ([`Params`]): named tensors in the model's forward order.

use std::sync::Arc;

use jetnewton_engine::device::ComputeDevice;
use jetnewton_engine::{Float, Tensor};

use crate::error::{NetsError, Result};
use crate::models::Model;

/// Whether a tensor is a layer's weight or its bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamKind {
    /// `{i}.weight`.
    Weight,
    /// `{i}.bias`.
    Bias,
}

impl ParamKind {
    /// The name suffix: `weight` or `bias`.
    pub fn suffix(self) -> &'static str {
        match self {
            ParamKind::Weight => "weight",
            ParamKind::Bias => "bias",
        }
    }
}

/// One parameter tensor of a model: its PyTorch name, shape, layer and kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParamSpec {
    /// `{layer}.weight` or `{layer}.bias`.
    pub name: String,
    /// PyTorch layout: `[out, in]`, `[out, in, kh, kw]` or `[out]`.
    pub shape: Vec<usize>,
    /// Index of its layer among the parameterised layers (0-based, forward order).
    pub layer: usize,
    /// Weight or bias.
    pub kind: ParamKind,
}

impl ParamSpec {
    /// The spec of `{layer}.{kind}` with `shape`.
    pub fn new(layer: usize, kind: ParamKind, shape: Vec<usize>) -> Self {
        Self {
            name: format!("{layer}.{}", kind.suffix()),
            shape,
            layer,
            kind,
        }
    }

    /// Parses a PyTorch-style name `{layer}.weight` / `{layer}.bias` into `(layer, kind)`.
    pub fn parse_name(name: &str) -> Option<(usize, ParamKind)> {
        let (layer, suffix) = name.split_once('.')?;
        if layer.is_empty() || !layer.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let kind = match suffix {
            "weight" => ParamKind::Weight,
            "bias" => ParamKind::Bias,
            _ => return None,
        };
        Some((layer.parse().ok()?, kind))
    }

    /// Number of scalars.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Named parameter tensors (weights, directions, gradients …) in a fixed order, usually [`Model::param_specs`]'s.
#[derive(Clone, Debug, PartialEq)]
pub struct Params<F: Float> {
    entries: Vec<(String, Tensor<F>)>,
}

impl<F: Float> Params<F> {
    /// Named tensors in the given order; errors on a repeated name.
    pub fn new(entries: Vec<(String, Tensor<F>)>) -> Result<Self> {
        for (i, (name, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(n, _)| n == name) {
                return Err(NetsError::Param {
                    name: name.clone(),
                    reason: "appears twice".into(),
                });
            }
        }
        Ok(Self { entries })
    }

    /// Zeros of every shape of `model`, in its order.
    pub fn zeros(model: &Model) -> Self {
        Self {
            entries: model
                .param_specs()
                .into_iter()
                .map(|p| (p.name, Tensor::zeros(&p.shape)))
                .collect(),
        }
    }

    /// The tensor named `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<F>> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// The tensor named `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Tensor<F>> {
        self.entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    /// `(name, tensor)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<F>)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// The names in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no tensor.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total number of scalars.
    pub fn numel(&self) -> usize {
        self.entries.iter().map(|(_, t)| t.numel()).sum()
    }

    /// The same tensors converted to another float type.
    pub fn cast<G: Float>(&self) -> Params<G> {
        Params {
            entries: self
                .entries
                .iter()
                .map(|(n, t)| (n.clone(), t.cast()))
                .collect(),
        }
    }

    /// The same tensors resident on `device` (see [`Tensor::to_device`]): one upload each.
    pub fn to_device(&self, device: &Arc<dyn ComputeDevice>) -> Result<Self> {
        let entries = self
            .entries
            .iter()
            .map(|(n, t)| Ok((n.clone(), t.to_device(device)?)))
            .collect::<Result<_>>()?;
        Ok(Params { entries })
    }

    /// The entries, consuming `self`.
    pub fn into_entries(self) -> Vec<(String, Tensor<F>)> {
        self.entries
    }

    /// Checks that the tensors are exactly `model`'s, by name and shape (in any order); errors name the first
    /// missing, extra or mis-shaped tensor.
    pub fn check(&self, model: &Model) -> Result<()> {
        let specs = model.param_specs();
        for spec in &specs {
            let t = self.get(&spec.name).ok_or_else(|| NetsError::Param {
                name: spec.name.clone(),
                reason: "missing".into(),
            })?;
            if t.shape() != spec.shape.as_slice() {
                return Err(NetsError::Param {
                    name: spec.name.clone(),
                    reason: format!("shape {:?}, the model needs {:?}", t.shape(), spec.shape),
                });
            }
        }
        if let Some((name, _)) = self
            .entries
            .iter()
            .find(|(n, _)| !specs.iter().any(|s| &s.name == n))
        {
            return Err(NetsError::Param {
                name: name.clone(),
                reason: "the model has no parameter of that name".into(),
            });
        }
        Ok(())
    }
}

impl<'a, F: Float> IntoIterator for &'a Params<F> {
    type Item = &'a (String, Tensor<F>);
    type IntoIter = std::slice::Iter<'a, (String, Tensor<F>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        let s = ParamSpec::new(12, ParamKind::Bias, vec![3]);
        assert_eq!(s.name, "12.bias");
        assert_eq!(ParamSpec::parse_name(&s.name), Some((12, ParamKind::Bias)));
        assert_eq!(
            ParamSpec::parse_name("0.weight"),
            Some((0, ParamKind::Weight))
        );
        for bad in [
            "weight", "a.weight", "1.bias.x", ".bias", "1.Weight", "-1.bias",
        ] {
            assert_eq!(ParamSpec::parse_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn params_get_cast_and_check() {
        let m = Model::from_spec("mlp:3-2-4:tanh").unwrap();
        let mut p = Params::<f64>::zeros(&m);
        assert_eq!(p.names(), ["0.weight", "0.bias", "1.weight", "1.bias"]);
        assert_eq!(p.numel(), 6 + 2 + 8 + 4);
        p.get_mut("1.bias").unwrap().data_mut()[2] = 0.1;
        let q: Params<f32> = p.cast();
        assert_eq!(q.get("1.bias").unwrap().data(), &[0.0, 0.0, 0.1, 0.0]);
        assert!(p.check(&m).is_ok());

        let mut entries = p.clone().into_entries();
        entries[1].1 = Tensor::zeros(&[3]);
        let err = Params::new(entries).unwrap().check(&m).unwrap_err();
        assert!(
            err.to_string().starts_with("parameter `0.bias`: shape [3]"),
            "{err}"
        );

        let mut entries = p.clone().into_entries();
        entries.push(("2.weight".into(), Tensor::zeros(&[1])));
        let err = Params::new(entries).unwrap().check(&m).unwrap_err();
        assert!(err.to_string().contains("`2.weight`"), "{err}");

        let mut entries = p.into_entries();
        entries.remove(0);
        let err = Params::new(entries.clone()).unwrap().check(&m).unwrap_err();
        assert!(err.to_string().contains("`0.weight`: missing"), "{err}");
        entries.push(entries[0].clone());
        assert!(Params::new(entries).is_err());
    }
}
