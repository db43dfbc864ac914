//! A workload: a model, its parameters, a batch and a partition, from which the CLI and the benchmarks build a
//! graph and time the gradient and the summaries.

use std::sync::Arc;

use jetnewton_engine::device::ComputeDevice;
use jetnewton_engine::summaries::{Direction, Groups};
use jetnewton_engine::{Float, Graph, NodeId, Tensor};
use jetnewton_nets::data::synthetic;
use jetnewton_nets::{direction_from_params, Model, NetsError, Params, PartitionSpec};

/// Errors of building a workload: those of the models and of the engine.
pub type Result<T> = std::result::Result<T, NetsError>;

/// Everything a summaries computation builds its graph from.
pub struct Workload<'m, F: Float> {
    /// The model.
    pub model: &'m Model,
    /// Its parameters.
    pub params: Params<F>,
    /// The batch inputs.
    pub x: Tensor<F>,
    /// The batch labels.
    pub labels: Vec<usize>,
    /// The partition.
    pub partition: PartitionSpec,
}

/// A model built on a graph for one batch.
pub struct Built {
    /// The loss node.
    pub loss: NodeId,
    /// `(name, node)` of every parameter, in forward order.
    pub ids: Vec<(String, NodeId)>,
    /// The engine's groups.
    pub groups: Groups,
    /// The tensor names of each group, in the groups' order.
    pub names: Vec<Vec<String>>,
}

impl<'m, F: Float> Workload<'m, F> {
    /// Builds the model and its loss on `g`.
    pub fn build(&self, g: &Graph<F>) -> Result<Built> {
        let (loss, ids) = self
            .model
            .loss(g, &self.params, self.x.clone(), &self.labels)?;
        let names: Vec<&str> = ids.iter().map(|(n, _)| n.as_str()).collect();
        let names = self.partition.groups(&names)?;
        let groups = self.partition.engine_groups(g, &ids)?;
        Ok(Built {
            loss: loss.id(),
            ids,
            groups,
            names,
        })
    }

    /// The same workload with its parameters and batch resident on `device`, so that every op with a device rule
    /// runs there (the labels stay on the host: the loss reads them as indices).
    pub fn to_device(&self, device: &Arc<dyn ComputeDevice>) -> Result<Workload<'m, F>> {
        Ok(Workload {
            model: self.model,
            params: self.params.to_device(device)?,
            x: self.x.to_device(device)?,
            labels: self.labels.clone(),
            partition: self.partition.clone(),
        })
    }

    /// One forward and backward pass: the reference time of the reports.
    pub fn gradient(&self) -> Result<Vec<Tensor<F>>> {
        let g = Graph::new();
        let b = self.build(&g)?;
        let nodes: Vec<NodeId> = b.ids.iter().map(|(_, id)| *id).collect();
        Ok(g.grad(b.loss, &nodes)?)
    }
}

impl Built {
    /// The engine's direction from named tensors.
    pub fn direction<F: Float>(&self, g: &Graph<F>, named: &Params<F>) -> Result<Direction<F>> {
        direction_from_params(g, named, &self.ids)
    }
}

/// The direction as named tensors: the given one, or the gradient on the batch.
pub fn direction_or_gradient<F: Float>(
    g: &Graph<F>,
    b: &Built,
    given: Option<Params<F>>,
) -> Result<Params<F>> {
    if let Some(d) = given {
        return Ok(d);
    }
    let nodes: Vec<NodeId> = b.ids.iter().map(|(_, id)| *id).collect();
    let grads = g.grad(b.loss, &nodes)?;
    Params::new(b.ids.iter().map(|(n, _)| n.clone()).zip(grads).collect())
}

impl<'m, F: Float> Workload<'m, F> {
    /// A seeded synthetic batch of `batch_size` samples and the model's seeded initial weights.
    pub fn synthetic(
        model: &'m Model,
        batch_size: usize,
        partition: PartitionSpec,
        seed: u64,
    ) -> Result<Self> {
        let data = synthetic(batch_size, model.input_shape(), model.num_classes(), seed)?;
        let mut shape = vec![batch_size];
        shape.extend_from_slice(model.input_shape());
        let x = Tensor::<f32>::from_vec(shape, data.inputs().to_vec())?.cast::<F>();
        Ok(Self {
            model,
            params: model.init_params::<F>(seed),
            x,
            labels: data.labels().iter().map(|&l| usize::from(l)).collect(),
            partition,
        })
    }

    /// The gradient on the batch as a named direction.
    pub fn gradient_direction(&self) -> Result<Params<F>> {
        let g = Graph::new();
        let b = self.build(&g)?;
        direction_or_gradient(&g, &b, None)
    }
}
