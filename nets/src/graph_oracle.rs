//! [`GraphOracle`]: the optimisers' [`Oracle`] for a model written as a closure on the graph API, over a
//! [`Samples`] data set of any input and target type. It draws the gradient's minibatches (`D_g`) and the
//! summaries' (`D_newt`) from two seeded samplers, as algorithm 4 does, keeps the last summaries' minibatch for
//! Method 1's adaptive schedule, and checks the closure once at construction.

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{EngineError, Float, Graph, NodeId, Tensor, Var};
use jetnewton_optim::{
    engine_gradient, engine_loss, engine_summaries, OptimError, OptimResult, Oracle, ParamLayout,
};

use crate::data::{MinibatchSampler, SampleBatch, SamplerState, Samples};

/// The loss of one minibatch, built on `graph` from the parameter leaves (`params`, in the layout's order).
///
/// Implemented by every closure `|graph, params, batch| -> Result<loss Var, EngineError>`; pass the closure
/// straight to [`GraphOracle::new`] so that its lifetimes are inferred.
pub trait LossFn<F: Float, X, Y> {
    /// The scalar loss node of `batch`.
    fn loss<'g>(
        &self,
        graph: &'g Graph<F>,
        params: &[Var<'g, F>],
        batch: &SampleBatch<X, Y>,
    ) -> Result<Var<'g, F>, EngineError>;
}

impl<F: Float, X, Y, C> LossFn<F, X, Y> for C
where
    C: for<'g> Fn(
        &'g Graph<F>,
        &[Var<'g, F>],
        &SampleBatch<X, Y>,
    ) -> Result<Var<'g, F>, EngineError>,
{
    fn loss<'g>(
        &self,
        graph: &'g Graph<F>,
        params: &[Var<'g, F>],
        batch: &SampleBatch<X, Y>,
    ) -> Result<Var<'g, F>, EngineError> {
        self(graph, params, batch)
    }
}

/// Minibatch sizes and the seed of a [`GraphOracle`]'s two samplers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batches {
    /// `B_g`: samples per gradient minibatch.
    pub gradient: usize,
    /// `B`: samples per summaries minibatch (Method 1 only).
    pub summaries: usize,
    /// Seed of the gradient sampler; the summaries' sampler uses `seed + 1`.
    pub seed: u64,
}

/// An [`Oracle`] for any model the graph API can express: a loss closure, a data set and two samplers.
pub struct GraphOracle<'d, X, Y, L> {
    loss: L,
    data: &'d Samples<X, Y>,
    layout: ParamLayout,
    grad_sampler: MinibatchSampler,
    newton_sampler: MinibatchSampler,
    /// The last `D_newt` minibatch, for [`Oracle::loss_on_last_summary_batch`].
    summary_batch: Option<SampleBatch<X, Y>>,
}

impl<'d, X: Clone, Y: Clone, L> GraphOracle<'d, X, Y, L> {
    /// The oracle of `loss` on `data` for parameters of `layout`. Builds the loss once on the first samples with
    /// `probe` (the initial parameters), so that a closure that fails, or returns a non-scalar, is an error here
    /// and not at the first step; errors too when a batch size is 0 or exceeds the data.
    pub fn new<F: Float>(
        layout: ParamLayout,
        data: &'d Samples<X, Y>,
        batches: Batches,
        probe: &[Tensor<F>],
        loss: L,
    ) -> OptimResult<Self>
    where
        L: LossFn<F, X, Y>,
    {
        let sampler = |size, seed| MinibatchSampler::new(data.len(), size, seed);
        let grad_sampler = sampler(batches.gradient, batches.seed).map_err(OptimError::oracle)?;
        let newton_sampler =
            sampler(batches.summaries, batches.seed.wrapping_add(1)).map_err(OptimError::oracle)?;
        let oracle = Self {
            loss,
            data,
            layout,
            grad_sampler,
            newton_sampler,
            summary_batch: None,
        };
        let first: Vec<usize> = (0..batches.gradient.min(data.len())).collect();
        let batch = data.batch_of(&first).map_err(OptimError::oracle)?;
        oracle.loss_on(probe, &batch)?;
        Ok(oracle)
    }

    /// The parameter layout (names and shapes, the optimisers' order).
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Gradient steps per pass over the data (`N_e`, the period of Method 1's scheduler).
    pub fn steps_per_epoch(&self) -> usize {
        self.grad_sampler.steps_per_epoch()
    }

    /// The samplers' states `(D_g, D_newt)`, to store with a checkpoint.
    pub fn sampler_states(&self) -> (SamplerState, SamplerState) {
        (self.grad_sampler.state(), self.newton_sampler.state())
    }

    /// The mean loss of `params` on `batch` (for evaluation on held-out samples).
    pub fn loss_on<F: Float>(
        &self,
        params: &[Tensor<F>],
        batch: &SampleBatch<X, Y>,
    ) -> OptimResult<f64>
    where
        L: LossFn<F, X, Y>,
    {
        let graph = Graph::new();
        let (loss, _) = self.build(&graph, params, batch)?;
        engine_loss(&graph, loss)
    }

    /// Registers `params` on `graph` and builds the loss of `batch`: its node and the parameter leaves.
    fn build<F: Float>(
        &self,
        graph: &Graph<F>,
        params: &[Tensor<F>],
        batch: &SampleBatch<X, Y>,
    ) -> OptimResult<(NodeId, Vec<NodeId>)>
    where
        L: LossFn<F, X, Y>,
    {
        self.layout.check("parameters", params)?;
        let leaves: Vec<Var<'_, F>> = self
            .layout
            .names()
            .iter()
            .zip(params)
            .map(|(name, t)| graph.param(name.clone(), t.clone()))
            .collect();
        let loss = self.loss.loss(graph, &leaves, batch)?;
        graph.check_scalar(loss.id(), "GraphOracle's loss closure")?;
        Ok((loss.id(), leaves.iter().map(|v| v.id()).collect()))
    }

    /// The next minibatch of `sampler`.
    fn draw(
        data: &Samples<X, Y>,
        sampler: &mut MinibatchSampler,
    ) -> OptimResult<SampleBatch<X, Y>> {
        data.batch_of(&sampler.next_indices())
            .map_err(OptimError::oracle)
    }
}

impl<F: Float, X: Clone, Y: Clone, L: LossFn<F, X, Y>> Oracle<F> for GraphOracle<'_, X, Y, L> {
    fn loss_and_gradient(&mut self, params: &[Tensor<F>]) -> OptimResult<(f64, Vec<Tensor<F>>)> {
        let batch = Self::draw(self.data, &mut self.grad_sampler)?;
        let graph = Graph::new();
        let (loss, ids) = self.build(&graph, params, &batch)?;
        engine_gradient(&graph, loss, &ids)
    }

    fn summaries(
        &mut self,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        groups: &[Vec<usize>],
    ) -> OptimResult<Summaries> {
        let batch = Self::draw(self.data, &mut self.newton_sampler)?;
        let graph = Graph::new();
        let (loss, ids) = self.build(&graph, params, &batch)?;
        let summaries = engine_summaries(&graph, loss, &ids, direction, groups)?;
        self.summary_batch = Some(batch);
        Ok(summaries)
    }

    fn loss_on_last_summary_batch(&mut self, params: &[Tensor<F>]) -> OptimResult<f64> {
        match &self.summary_batch {
            Some(batch) => self.loss_on(params, batch),
            None => Err(OptimError::Oracle(
                "the loss on the last summaries' minibatch was asked before any summaries".into(),
            )),
        }
    }
}
