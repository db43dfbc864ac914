//! [`ParamLayout`]: the names and shapes of the parameter tensors an optimiser updates, in their fixed order, and
//! the checks every step and every state load make against it.

use jetnewton_engine::{Float, Tensor};

use crate::error::{OptimError, Result};

/// The parameter tensors of a model as an optimiser sees them: a name and a shape each, in a fixed order.
///
/// Parameters are then passed to [`crate::Optimizer::step`] as `&mut [Tensor<F>]` in that order, and groups as
/// indices into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    names: Vec<String>,
    shapes: Vec<Vec<usize>>,
}

impl ParamLayout {
    /// A layout from names and shapes; errors when their counts differ or a name repeats.
    pub fn new(names: Vec<String>, shapes: Vec<Vec<usize>>) -> Result<Self> {
        if names.len() != shapes.len() {
            return Err(OptimError::InvalidLayout {
                reason: format!("{} names for {} shapes", names.len(), shapes.len()),
            });
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(OptimError::InvalidLayout {
                    reason: format!("the name `{name}` appears twice"),
                });
            }
        }
        Ok(Self { names, shapes })
    }

    /// The layout of `params`, named by `names`.
    pub fn of<F: Float>(names: Vec<String>, params: &[Tensor<F>]) -> Result<Self> {
        Self::new(names, params.iter().map(|t| t.shape().to_vec()).collect())
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The shapes, in order.
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there is no tensor.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Checks that `tensors` (parameters, a gradient, a direction: named by `what` in errors) has one tensor per
    /// parameter, of its shape.
    pub fn check<F: Float>(&self, what: &'static str, tensors: &[Tensor<F>]) -> Result<()> {
        if tensors.len() != self.len() {
            return Err(OptimError::TensorCount {
                what,
                expected: self.len(),
                found: tensors.len(),
            });
        }
        for ((name, shape), t) in self.names.iter().zip(&self.shapes).zip(tensors) {
            if t.shape() != shape.as_slice() {
                return Err(OptimError::TensorShape {
                    what,
                    name: name.clone(),
                    expected: shape.clone(),
                    found: t.shape().to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Checks a gradient from an oracle: its shapes, then that every value is finite.
    pub fn check_gradient<F: Float>(&self, loss: f64, grads: &[Tensor<F>]) -> Result<()> {
        if !loss.is_finite() {
            return Err(OptimError::NonFinite {
                what: "loss",
                name: "-".into(),
            });
        }
        self.check("gradient", grads)?;
        for (name, g) in self.names.iter().zip(grads) {
            if !g.data().iter().all(|v| v.is_finite()) {
                return Err(OptimError::NonFinite {
                    what: "gradient",
                    name: name.clone(),
                });
            }
        }
        Ok(())
    }

    /// Zeros of every shape.
    pub fn zeros<F: Float>(&self) -> Vec<Tensor<F>> {
        self.shapes.iter().map(|s| Tensor::zeros(s)).collect()
    }

    /// Checks that `groups` is a partition of `0..len()`: no group empty, every index in exactly one group.
    /// Returns the group of each parameter.
    pub fn group_of(&self, groups: &[Vec<usize>]) -> Result<Vec<usize>> {
        let mut owner = vec![usize::MAX; self.len()];
        for (s, group) in groups.iter().enumerate() {
            if group.is_empty() {
                return Err(OptimError::InvalidGroups {
                    reason: format!("group {s} is empty"),
                });
            }
            for &p in group {
                let slot = owner.get_mut(p).ok_or_else(|| OptimError::InvalidGroups {
                    reason: format!(
                        "group {s} holds index {p}, but there are {} parameters",
                        self.len()
                    ),
                })?;
                if *slot != usize::MAX {
                    return Err(OptimError::InvalidGroups {
                        reason: format!("`{}` is in groups {} and {s}", self.names[p], *slot),
                    });
                }
                *slot = s;
            }
        }
        if let Some(p) = owner.iter().position(|&s| s == usize::MAX) {
            return Err(OptimError::InvalidGroups {
                reason: format!("`{}` is in no group", self.names[p]),
            });
        }
        Ok(owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> ParamLayout {
        ParamLayout::new(
            vec!["w".into(), "b".into(), "v".into()],
            vec![vec![2, 3], vec![2], vec![]],
        )
        .unwrap()
    }

    #[test]
    fn construction_refuses_repeats_and_count_mismatch() {
        assert!(ParamLayout::new(vec!["a".into(), "a".into()], vec![vec![1], vec![1]]).is_err());
        assert!(ParamLayout::new(vec!["a".into()], vec![]).is_err());
        let l = ParamLayout::of(vec!["x".into()], &[Tensor::<f64>::zeros(&[4])]).unwrap();
        assert_eq!(l.shapes(), &[vec![4]]);
    }

    #[test]
    fn tensors_are_checked_by_count_shape_and_finiteness() {
        let l = layout();
        let good: Vec<Tensor<f64>> = l.zeros();
        assert!(l.check("parameters", &good).is_ok());
        let err = l.check("parameters", &good[..2]).unwrap_err();
        assert!(
            matches!(err, OptimError::TensorCount { found: 2, .. }),
            "{err}"
        );
        let mut bad = good.clone();
        bad[1] = Tensor::zeros(&[3]);
        let err = l.check("gradient", &bad).unwrap_err();
        assert!(err.to_string().contains("`b`: shape [3]"), "{err}");
        let mut nan = good.clone();
        nan[2] = Tensor::scalar(f64::NAN);
        let err = l.check_gradient(0.0, &nan).unwrap_err();
        assert!(
            err.to_string().contains("gradient (parameter `v`)"),
            "{err}"
        );
        assert!(l.check_gradient(f64::INFINITY, &good).is_err());
    }

    #[test]
    fn groups_must_partition_the_indices() {
        let l = layout();
        assert_eq!(l.group_of(&[vec![2], vec![0, 1]]).unwrap(), vec![1, 1, 0]);
        for (groups, why) in [
            (vec![vec![0, 1]], "`v` is in no group"),
            (vec![vec![0, 1, 2], vec![]], "group 1 is empty"),
            (vec![vec![0, 1], vec![2, 1]], "`b` is in groups 0 and 1"),
            (vec![vec![0, 1, 2, 3]], "index 3"),
        ] {
            let err = l.group_of(&groups).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
    }
}
