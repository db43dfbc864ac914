//! Reverse mode over the tape. Every op's vjp appends ordinary ops, so a gradient is itself a set of nodes that can
//! be differentiated again (double backward, the baseline and oracle of the jet engine).

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::ops::add::Add;
use crate::tensor::Tensor;
use std::sync::Arc;

impl<F: Float> Graph<F> {
    /// Which nodes up to `output` depend on any of `wrt` (a node depends on itself).
    pub fn depends_on(&self, output: NodeId, wrt: &[NodeId]) -> Result<Vec<bool>> {
        let mut dep = vec![false; output + 1];
        for &w in wrt {
            if w <= output {
                dep[w] = true;
            }
        }
        for n in 0..=output {
            if dep[n] {
                continue;
            }
            let inputs = self.node(n)?.inputs;
            dep[n] = inputs.iter().any(|&i| dep[i]);
        }
        Ok(dep)
    }

    /// The reverse sweep from the scalar `output` (seeded with one) towards `wrt`: returns, for every node up to `output`, the
    /// node holding its cotangent (`None` where it is zero or not on a path to `wrt`). With `create_graph` the new
    /// nodes stay differentiable, so the result can be differentiated again.
    pub fn backward(
        &self,
        output: NodeId,
        wrt: &[NodeId],
        create_graph: bool,
    ) -> Result<Vec<Option<NodeId>>> {
        self.backward_inner(output, wrt, create_graph, true, "Graph::backward")
    }

    /// [`Graph::backward`] that stops short of the `wrt` nodes themselves: the cotangents of every intermediate
    /// node, without forming the parameter gradients (the summaries contract those away and never need them).
    pub fn backward_intermediates(
        &self,
        output: NodeId,
        wrt: &[NodeId],
    ) -> Result<Vec<Option<NodeId>>> {
        self.backward_inner(output, wrt, false, false, "Graph::backward_intermediates")
    }

    fn backward_inner(
        &self,
        output: NodeId,
        wrt: &[NodeId],
        create_graph: bool,
        include_wrt: bool,
        what: &'static str,
    ) -> Result<Vec<Option<NodeId>>> {
        self.check_scalar(output, what)?;
        let first_new = self.len();
        let dep = self.depends_on(output, wrt)?;
        let mut cot: Vec<Option<NodeId>> = vec![None; output + 1];
        if dep[output] {
            let seed = Tensor::full(self.node(output)?.value.shape(), F::one());
            cot[output] = Some(self.constant(seed).id());
        }
        for n in (0..=output).rev() {
            let Some(gy) = cot[n] else { continue };
            let node = self.node(n)?;
            let Some(op) = node.op else { continue };
            let wanted: Vec<bool> = node
                .inputs
                .iter()
                .map(|&i| dep[i] && (include_wrt || !wrt.contains(&i)))
                .collect();
            if !wanted.iter().any(|&w| w) {
                continue;
            }
            let grads = op.vjp(self, &node.inputs, n, gy, &wanted)?;
            for ((&i, g), &w) in node.inputs.iter().zip(grads).zip(&wanted) {
                let (Some(g), true) = (g, w) else { continue };
                cot[i] = Some(match cot[i] {
                    None => g,
                    Some(prev) => self.apply(Arc::new(Add), &[prev, g])?,
                });
            }
        }
        if !create_graph {
            for id in first_new..self.len() {
                self.detach(id);
            }
        }
        Ok(cot)
    }

    /// Gradient nodes of `output` with respect to each of `wrt`, differentiable again (`create_graph`); a node
    /// that does not reach `output` gets a constant zero.
    pub fn grad_nodes(&self, output: NodeId, wrt: &[NodeId]) -> Result<Vec<NodeId>> {
        let cot = self.backward_inner(output, wrt, true, true, "Graph::grad_nodes")?;
        wrt.iter()
            .map(|&w| match cot.get(w).copied().flatten() {
                Some(g) => Ok(g),
                None => Ok(self
                    .constant(Tensor::zeros(self.node(w)?.value.shape()))
                    .id()),
            })
            .collect()
    }

    /// Gradient values of `output` with respect to each of `wrt` (zeros where `output` does not depend on it).
    pub fn grad(&self, output: NodeId, wrt: &[NodeId]) -> Result<Vec<Tensor<F>>> {
        let cot = self.backward_inner(output, wrt, false, true, "Graph::grad")?;
        wrt.iter()
            .map(|&w| match cot.get(w).copied().flatten() {
                Some(g) => Ok(self.value(g)),
                None => Ok(Tensor::zeros(self.node(w)?.value.shape())),
            })
            .collect()
    }
}
