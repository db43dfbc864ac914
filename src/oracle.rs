//! [`ModelOracle`]: the [`Oracle`] of a [`Model`] trained on a [`Dataset`], drawing the gradient's minibatches from
//! one sampler (`D_g`, size `B_g`) and the summaries' from another (`D_newt`, size `B`), as algorithm 4 does. For
//! K-FAC it also reports every linear and convolutional layer's Kronecker factors on the gradient's minibatch
//! (`oracle/kfac.rs`).
//!
//! ```
//! use jetnewton::oracle::ModelOracle;
//! use jetnewton_nets::data::{synthetic, MinibatchSampler};
//! use jetnewton_nets::{Model, PartitionSpec};
//! use jetnewton_optim::{Method1, Method1Config, Optimizer};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = Model::from_spec("mlp:8-16-4:tanh")?;
//! let data = synthetic(400, &[8], 4, 0)?;
//! let d_g = MinibatchSampler::new(data.len(), 20, 1)?;
//! let d_newt = MinibatchSampler::new(data.len(), 100, 2)?;
//! let mut oracle = ModelOracle::new(model, &data, d_g, d_newt)?;
//! let mut params = oracle.initial_params::<f32>(0);
//! let groups = oracle.groups(&PartitionSpec::Canonical)?;
//! let config = Method1Config::paper(oracle.steps_per_epoch());
//! let mut opt = Method1::new(oracle.layout(), groups, config)?;
//! let report = opt.step(&mut params, &mut oracle)?;
//! assert!(report.method1.unwrap().recomputed());
//! # Ok(()) }
//! ```

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Float, Graph, NodeId, Tensor};
use jetnewton_nets::data::{Batch, DataError, Dataset, MinibatchSampler, SamplerState};
use jetnewton_nets::{Forward, Model, NetsError, Params, PartitionSpec};
use jetnewton_optim::{
    engine_gradient, engine_summaries, KfacGradient, OptimError, Oracle, ParamLayout,
};

mod kfac;
mod resident;

/// A model, its training set and algorithm 4's two samplers over it.
pub struct ModelOracle<'d> {
    model: Model,
    data: &'d Dataset,
    layout: ParamLayout,
    grad_sampler: MinibatchSampler,
    newton_sampler: MinibatchSampler,
    batch: Batch,
    /// The last `D_newt` minibatch, kept for [`Oracle::loss_on_last_summary_batch`].
    summary_batch: Option<Batch>,
}

impl<'d> ModelOracle<'d> {
    /// An oracle of `model` on `data`: gradients on `grad_sampler`'s minibatches (`D_g`), summaries on
    /// `newton_sampler`'s (`D_newt`). Errors when the samples do not fit the model's input, the labels its classes,
    /// or a sampler was made for another data set length.
    pub fn new(
        model: Model,
        data: &'d Dataset,
        grad_sampler: MinibatchSampler,
        newton_sampler: MinibatchSampler,
    ) -> Result<Self, OptimError> {
        let mut shape = vec![1];
        shape.extend_from_slice(data.sample_shape());
        model.batch_size(&shape).map_err(OptimError::oracle)?;
        if data.num_classes() > model.num_classes() {
            return Err(OptimError::oracle(NetsError::Labels {
                reason: format!(
                    "{} has {} classes, the model {}",
                    data.name(),
                    data.num_classes(),
                    model.num_classes()
                ),
            }));
        }
        for sampler in [&grad_sampler, &newton_sampler] {
            check_sampler(sampler.dataset_len(), data)?;
        }
        let specs = model.param_specs();
        let layout = ParamLayout::new(
            specs.iter().map(|s| s.name.clone()).collect(),
            specs.into_iter().map(|s| s.shape).collect(),
        )?;
        Ok(Self {
            layout,
            model,
            data,
            grad_sampler,
            newton_sampler,
            batch: Batch::new(),
            summary_batch: None,
        })
    }

    /// The parameter names, in the order the optimiser's tensors follow (the model's forward order).
    pub fn names(&self) -> &[String] {
        self.layout.names()
    }

    /// The optimiser's layout: the model's parameter names and shapes.
    pub fn layout(&self) -> ParamLayout {
        self.layout.clone()
    }

    /// The model's seeded initial parameters, as tensors in layout order.
    pub fn initial_params<F: Float>(&self, seed: u64) -> Vec<Tensor<F>> {
        // `init_params` lists the tensors in `param_specs` order, the layout's.
        let params = self.model.init_params::<F>(seed).into_entries();
        params.into_iter().map(|(_, t)| t).collect()
    }

    /// The groups of `partition` as indices into the layout.
    pub fn groups(&self, partition: &PartitionSpec) -> Result<Vec<Vec<usize>>, OptimError> {
        let named = partition.groups(&self.model).map_err(OptimError::oracle)?;
        Ok(named
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|n| self.names().iter().position(|m| m == n))
                    .collect()
            })
            .collect())
    }

    /// Steps per epoch of the gradient sampler (`N_e`, the paper's scheduler period).
    pub fn steps_per_epoch(&self) -> usize {
        self.grad_sampler.steps_per_epoch()
    }

    /// The samplers' states `(D_g, D_newt)`, to store with a checkpoint.
    pub fn sampler_states(&self) -> (SamplerState, SamplerState) {
        (self.grad_sampler.state(), self.newton_sampler.state())
    }

    /// Continues both samplers from saved states; errors (changing nothing) when one does not fit the data set.
    /// The last `D_newt` minibatch is drawn again from the state before it, so that
    /// [`Oracle::loss_on_last_summary_batch`] answers as it would have without the interruption.
    pub fn restore_samplers(
        &mut self,
        grad: SamplerState,
        newton: SamplerState,
    ) -> Result<(), OptimError> {
        let rebuild = |s: SamplerState| {
            check_sampler(s.dataset_len, self.data)?;
            MinibatchSampler::from_state(s).map_err(OptimError::oracle)
        };
        let (g, n) = (rebuild(grad)?, rebuild(newton)?);
        let summary_batch = match newton.previous() {
            Some(prev) => {
                let mut batch = Batch::new();
                rebuild(prev)?
                    .next_batch(self.data, &mut batch)
                    .map_err(OptimError::oracle)?;
                Some(batch)
            }
            None => None,
        };
        (self.grad_sampler, self.newton_sampler) = (g, n);
        self.summary_batch = summary_batch;
        Ok(())
    }

    /// The loss of `params` on the samples `indices` (for evaluation).
    pub fn loss_on<F: Float>(
        &self,
        params: &[Tensor<F>],
        indices: &[usize],
    ) -> Result<f64, OptimError> {
        let batch = self.data.batch_of(indices).map_err(OptimError::oracle)?;
        let g = Graph::new();
        let (loss, _) = self.build(&g, params, &batch)?;
        jetnewton_optim::engine_loss(&g, loss)
    }

    /// The summaries of `params` on `batch` for `groups`, by jets, along `direction`, or along the gradient on
    /// `batch` (taken on the same graph) when it is `None`; returns them with the direction used. Draws nothing
    /// and keeps nothing (for probes on a fixed set: [`Oracle::loss_on_last_summary_batch`] still answers for the
    /// last training minibatch).
    pub fn summaries_on<F: Float>(
        &self,
        params: &[Tensor<F>],
        direction: Option<Vec<Tensor<F>>>,
        groups: &[Vec<usize>],
        batch: &Batch,
    ) -> Result<(Summaries, Vec<Tensor<F>>), OptimError> {
        let g = Graph::new();
        let (loss, leaves) = self.build(&g, params, batch)?;
        let direction = match direction {
            Some(d) => d,
            None => engine_gradient(&g, loss, &leaves)?.1,
        };
        let s = engine_summaries(&g, loss, &leaves, &direction, groups)?;
        Ok((s, direction))
    }

    /// Builds the loss on `graph` for `batch`; returns its node and the parameter leaves in layout order.
    fn build<F: Float>(
        &self,
        graph: &Graph<F>,
        params: &[Tensor<F>],
        batch: &Batch,
    ) -> Result<(NodeId, Vec<NodeId>), OptimError> {
        let fwd = self.forward(graph, params, batch)?;
        let loss = fwd.logits.cross_entropy(batch.labels())?;
        Ok((loss.id(), self.leaves(&fwd)?))
    }

    /// Builds the model on `graph` for `batch`, after checking the parameters against the layout and the labels
    /// against the model.
    fn forward<'g, F: Float>(
        &self,
        graph: &'g Graph<F>,
        params: &[Tensor<F>],
        batch: &Batch,
    ) -> Result<Forward<'g, F>, OptimError> {
        self.layout.check("parameters", params)?;
        let named = Params::new(
            self.names()
                .iter()
                .cloned()
                .zip(params.iter().cloned())
                .collect(),
        )
        .map_err(OptimError::oracle)?;
        let x = Tensor::from_vec(
            batch.shape().to_vec(),
            batch
                .inputs()
                .iter()
                .map(|&v| F::of(f64::from(v)))
                .collect(),
        )?;
        // Next to the parameters: with resident parameters (`train` on a device) the whole pass runs there.
        let x = match params.first().and_then(Tensor::device) {
            Some(device) => x.to_device(device)?,
            None => x,
        };
        let model = &self.model;
        let samples = model.batch_size(x.shape()).map_err(OptimError::oracle)?;
        let labels = model.check_labels(batch.labels(), samples);
        labels.map_err(OptimError::oracle)?;
        model.forward(graph, &named, x).map_err(OptimError::oracle)
    }

    /// The parameter leaves of a built model, in layout order.
    fn leaves<F: Float>(&self, fwd: &Forward<'_, F>) -> Result<Vec<NodeId>, OptimError> {
        self.names()
            .iter()
            .map(|n| fwd.param(n).map(|v| v.id()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| OptimError::InvalidLayout {
                reason: "the model did not register every parameter".into(),
            })
    }
}

/// Errors unless a sampler made for `len` samples can draw from `data`.
fn check_sampler(len: usize, data: &Dataset) -> Result<(), OptimError> {
    if len == data.len() {
        return Ok(());
    }
    Err(OptimError::oracle(DataError::SamplerMismatch {
        what: "data set length",
        expected: len,
        found: data.len(),
    }))
}

impl<F: Float> Oracle<F> for ModelOracle<'_> {
    fn loss_and_gradient(
        &mut self,
        params: &[Tensor<F>],
    ) -> jetnewton_optim::OptimResult<(f64, Vec<Tensor<F>>)> {
        let mut batch = std::mem::take(&mut self.batch);
        let drawn = self.grad_sampler.next_batch(self.data, &mut batch);
        let out = drawn.map_err(OptimError::oracle).and_then(|()| {
            let g = Graph::new();
            let (loss, leaves) = self.build(&g, params, &batch)?;
            engine_gradient(&g, loss, &leaves)
        });
        self.batch = batch;
        out
    }

    fn summaries(
        &mut self,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        groups: &[Vec<usize>],
    ) -> jetnewton_optim::OptimResult<Summaries> {
        let mut batch = self.summary_batch.take().unwrap_or_default();
        let drawn = self.newton_sampler.next_batch(self.data, &mut batch);
        let out = drawn.map_err(OptimError::oracle).and_then(|()| {
            let problem = resident::Problem {
                model: &self.model,
                names: self.names(),
                params,
                direction,
                groups,
                batch: &batch,
            };
            if let Some(on_gpu) = resident::on_installed_gpu(&problem, &self.layout) {
                return on_gpu;
            }
            let g = Graph::new();
            let (loss, leaves) = self.build(&g, params, &batch)?;
            engine_summaries(&g, loss, &leaves, direction, groups)
        });
        // A batch the sampler failed to fill is not one the summaries were computed on.
        self.summary_batch = out.is_ok().then_some(batch);
        out
    }

    /// The loss at `params` on the `D_newt` minibatch of the last successful [`Oracle::summaries`] call (one
    /// forward pass, no new minibatch).
    fn loss_on_last_summary_batch(
        &mut self,
        params: &[Tensor<F>],
    ) -> jetnewton_optim::OptimResult<f64> {
        // Answered, just not yet: `Unsupported` would tell Method 1 this oracle can never serve its schedule.
        let batch = self.summary_batch.as_ref().ok_or_else(|| {
            OptimError::Oracle(
                "the loss on the last summaries' minibatch was asked before any summaries".into(),
            )
        })?;
        let g = Graph::new();
        let (loss, _) = self.build(&g, params, batch)?;
        jetnewton_optim::engine_loss(&g, loss)
    }

    /// The loss and gradient on the next `D_g` minibatch, as [`Oracle::loss_and_gradient`] gives them (and
    /// drawing the same minibatch), with every linear and convolutional layer's Kronecker factors on it when
    /// `with_factors` (see `kfac.rs` in this module for how they are computed).
    fn loss_gradient_and_kfac(
        &mut self,
        params: &[Tensor<F>],
        sample_seed: u64,
        with_factors: bool,
    ) -> jetnewton_optim::OptimResult<KfacGradient<F>> {
        let mut batch = std::mem::take(&mut self.batch);
        let drawn = self.grad_sampler.next_batch(self.data, &mut batch);
        let out = drawn.map_err(OptimError::oracle).and_then(|()| {
            let g = Graph::new();
            self.kfac_answer(&g, params, &batch, sample_seed, with_factors)
        });
        self.batch = batch;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetnewton_nets::data::synthetic;
    use jetnewton_optim::{Adam, AdamConfig, Method1, Method1Config, Optimizer};

    fn oracle(data: &Dataset, bg: usize, b: usize) -> ModelOracle<'_> {
        let model = Model::from_spec("mlp:8-16-4:tanh").unwrap();
        let d_g = MinibatchSampler::new(data.len(), bg, 1).unwrap();
        let d_newt = MinibatchSampler::new(data.len(), b, 2).unwrap();
        ModelOracle::new(model, data, d_g, d_newt).unwrap()
    }

    /// Trains for `steps` steps, checking that every loss and parameter stays finite; returns the loss on the whole
    /// set before and after.
    fn train(opt: &mut dyn Optimizer<f32>, o: &mut ModelOracle<'_>, steps: usize) -> (f64, f64) {
        let mut params = o.initial_params::<f32>(3);
        let all: Vec<usize> = (0..o.data.len()).collect();
        let before = o.loss_on(&params, &all).unwrap();
        for _ in 0..steps {
            let r = opt.step(&mut params, o).unwrap();
            assert!(r.loss.is_finite());
        }
        assert!(params
            .iter()
            .all(|t| t.data().iter().all(|v| v.is_finite())));
        (before, o.loss_on(&params, &all).unwrap())
    }

    #[test]
    fn adam_and_method1_train_a_small_mlp() {
        let data = synthetic(1000, &[8], 4, 5).unwrap();
        // The initial loss is 1.8 (ln 4 ≈ 1.39 at chance); the classes overlap by ~2 % each (see `synthetic`), so
        // a trained model's mean cross-entropy is near 0.1. Measured after 300 steps: Adam 0.20, Method 1 0.16.
        // Both must reach a fifth of the initial loss.
        let mut o = oracle(&data, 50, 200);
        let mut adam = Adam::new(
            o.layout(),
            AdamConfig {
                lr: 3e-3,
                ..AdamConfig::default()
            },
        )
        .unwrap();
        let (before, after) = train(&mut adam, &mut o, 300);
        assert!(after < 0.2 * before, "Adam: {before} → {after}");

        let mut o = oracle(&data, 50, 200);
        let groups = o.groups(&PartitionSpec::Canonical).unwrap();
        let config = Method1Config::paper(o.steps_per_epoch());
        let mut m1 = Method1::new(o.layout(), groups, config).unwrap();
        let (before, after) = train(&mut m1, &mut o, 300);
        assert!(after < 0.2 * before, "Method 1: {before} → {after}");
    }

    #[test]
    fn gradient_and_summaries_come_from_the_engine_on_the_samplers_batches() {
        let data = synthetic(60, &[8], 4, 1).unwrap();
        let mut o = oracle(&data, 10, 20);
        let params = o.initial_params::<f64>(0);
        let (loss, grads) = o.loss_and_gradient(&params).unwrap();
        // The same batch, drawn by a twin sampler, through the model's own loss.
        let mut twin = MinibatchSampler::new(60, 10, 1).unwrap();
        let mut batch = Batch::new();
        twin.next_batch(&data, &mut batch).unwrap();
        let g = Graph::<f64>::new();
        let (l, leaves) = o.build(&g, &params, &batch).unwrap();
        let (want_loss, want) = engine_gradient(&g, l, &leaves).unwrap();
        assert_eq!((loss, grads), (want_loss, want));
        assert_eq!(o.sampler_states().0.position, 10);
        let groups = o.groups(&PartitionSpec::WeightsBiases).unwrap();
        assert_eq!(groups, vec![vec![0, 2], vec![1, 3]]);
        let err = Oracle::<f64>::loss_on_last_summary_batch(&mut o, &params).unwrap_err();
        assert!(matches!(err, OptimError::Oracle(_)), "{err}");
        let s = o.summaries(&params, &params, &groups).unwrap();
        assert_eq!((s.gbar.len(), s.hbar.len()), (2, 2));
        assert_eq!(o.sampler_states().1.position, 20);
        // The summaries' loss again, on the kept minibatch, without drawing another.
        assert_eq!(o.loss_on_last_summary_batch(&params).unwrap(), s.loss);
        assert_eq!(o.sampler_states().1.position, 20);
        // A restored oracle draws that minibatch again.
        let (g, n) = o.sampler_states();
        let mut restored = oracle(&data, 10, 20);
        restored.restore_samplers(g, n).unwrap();
        assert_eq!(
            restored.loss_on_last_summary_batch(&params).unwrap(),
            s.loss
        );
    }

    #[test]
    fn mismatches_are_errors() {
        let data = synthetic(60, &[5], 4, 1).unwrap();
        let model = Model::from_spec("mlp:8-16-4:tanh").unwrap();
        let s = || MinibatchSampler::new(60, 10, 1).unwrap();
        assert!(ModelOracle::new(model.clone(), &data, s(), s()).is_err());
        let data = synthetic(60, &[8], 4, 1).unwrap();
        let other = MinibatchSampler::new(50, 10, 1).unwrap();
        assert!(ModelOracle::new(model.clone(), &data, s(), other).is_err());
        let mut o = ModelOracle::new(model, &data, s(), s()).unwrap();
        let short = o.initial_params::<f64>(0)[..2].to_vec();
        assert!(Oracle::<f64>::loss_and_gradient(&mut o, &short).is_err());
        let mut bad = o.sampler_states().0;
        bad.dataset_len = 61;
        assert!(o.restore_samplers(bad, o.sampler_states().1).is_err());
    }
}
