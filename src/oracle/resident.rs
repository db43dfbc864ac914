//! Method 1's summaries of an MLP resident on a kernels device: when the engine's installed device is the
//! kernels' GEMM (`jetnewton --device cuda`, or `emulated` on the host), the oracle hands the whole summaries
//! computation to [`jetnewton_kernels::mlp::MlpJets`] on that device instead of sending the engine's products
//! there one by one.

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Float, Tensor};
use jetnewton_kernels::{Backend, KernelMatmul, Real};
use jetnewton_nets::data::Batch;
use jetnewton_nets::{Model, Params};
use jetnewton_optim::{OptimError, ParamLayout};

use crate::resident::{mlp_jets, mlp_layout, on_kernels, MlpInputs, OnKernels};

/// The summaries on the installed kernels device, or `None` when there is none or the model is not an MLP. The
/// tensors are checked against `layout` first, as the engine's path checks them.
pub(super) fn on_installed_gpu<F: Float>(
    problem: &Problem<'_, F>,
    layout: &ParamLayout,
) -> Option<Result<Summaries, OptimError>> {
    let device = jetnewton_engine::device::current()?;
    on_kernels(&*device, Checked { problem, layout }).flatten()
}

/// [`on_installed_gpu`]'s work, once the device is known to be a kernels device.
struct Checked<'p, 'a, F: Float> {
    problem: &'p Problem<'a, F>,
    layout: &'p ParamLayout,
}

impl<F: Float> OnKernels for Checked<'_, '_, F> {
    type Output = Option<Result<Summaries, OptimError>>;

    fn run<B: Backend + Send + 'static>(self, device: &KernelMatmul<B>) -> Self::Output {
        mlp_layout(self.problem.model)?;
        let checked = self
            .layout
            .check("parameters", self.problem.params)
            .and_then(|()| self.layout.check("direction", self.problem.direction));
        if let Err(e) = checked {
            return Some(Err(e));
        }
        summaries_on(device, self.problem)
    }
}

/// One summaries request of the oracle, in its own terms.
pub(super) struct Problem<'a, F: Float> {
    pub model: &'a Model,
    /// The parameter names, in the order of `params` and `direction`.
    pub names: &'a [String],
    pub params: &'a [Tensor<F>],
    pub direction: &'a [Tensor<F>],
    /// Groups of indices into `params`.
    pub groups: &'a [Vec<usize>],
    pub batch: &'a Batch,
}

/// The summaries of `problem` on `gpu`'s backend, or `None` when the model is not an MLP.
pub(super) fn summaries_on<B: Backend + Send, F: Float>(
    gpu: &KernelMatmul<B>,
    problem: &Problem<'_, F>,
) -> Option<Result<Summaries, OptimError>> {
    mlp_layout(problem.model)?;
    // The kernels take f32 or f64, the oracle any engine float: casting to the same type is a copy.
    Some(if F::NAME == f32::NAME {
        typed::<B, F, f32>(gpu, problem)
    } else {
        typed::<B, F, f64>(gpu, problem)
    })
}

fn typed<B: Backend + Send, F: Float, G: Float + Real>(
    gpu: &KernelMatmul<B>,
    p: &Problem<'_, F>,
) -> Result<Summaries, OptimError> {
    let named = |tensors: &[Tensor<F>]| {
        Params::new(
            p.names
                .iter()
                .cloned()
                .zip(tensors.iter().map(Tensor::cast::<G>))
                .collect(),
        )
        .map_err(OptimError::oracle)
    };
    let (params, direction) = (named(p.params)?, named(p.direction)?);
    let groups: Vec<Vec<String>> = p
        .groups
        .iter()
        .map(|g| g.iter().map(|&i| p.names[i].clone()).collect())
        .collect();
    let x: Vec<G> = p
        .batch
        .inputs()
        .iter()
        .map(|&v| G::of(f64::from(v)))
        .collect();
    let inputs = MlpInputs {
        model: p.model,
        params: &params,
        x: &x,
        labels: p.batch.labels(),
        groups: &groups,
        direction: &direction,
    };
    gpu.with_backend(|backend| {
        let mut jets = mlp_jets(backend, &inputs)
            .map_err(OptimError::oracle)?
            .expect("checked: the model is an MLP");
        jets.summaries().map_err(OptimError::oracle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetnewton_engine::Graph;
    use jetnewton_kernels::HostBackend;
    use jetnewton_nets::data::synthetic;
    use jetnewton_nets::PartitionSpec;
    use jetnewton_optim::engine_summaries as on_engine;

    /// The oracle's MLP summaries on the host build of the kernels match the engine's in f64 (1e-10 of the largest
    /// entry: the same forms summed in different orders, see kernels/tests/common/mlp.rs), for two partitions
    /// and a random direction; a LeNet-5 is left to the engine.
    #[test]
    fn resident_oracle_summaries_match_the_engine() {
        let backend = match HostBackend::new() {
            Ok(b) => b,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        let gpu = KernelMatmul::new(backend, "host kernels", 0);
        let model = Model::from_spec("mlp:6-5-4-3:elu").unwrap();
        let data = synthetic(9, &[6], 3, 1).unwrap();
        let batch = data.batch_of(&(0..9).collect::<Vec<_>>()).unwrap();
        let names = model.param_names();
        let params: Vec<Tensor<f64>> = model
            .init_params::<f64>(3)
            .into_entries()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let direction: Vec<Tensor<f64>> = model
            .init_params::<f64>(4)
            .into_entries()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        for spec in [PartitionSpec::Canonical, "chunks-2".parse().unwrap()] {
            let named: Vec<&str> = names.iter().map(String::as_str).collect();
            let groups: Vec<Vec<usize>> = spec
                .groups(&named)
                .unwrap()
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|n| names.iter().position(|m| m == n).unwrap())
                        .collect()
                })
                .collect();
            let problem = Problem {
                model: &model,
                names: &names,
                params: &params,
                direction: &direction,
                groups: &groups,
                batch: &batch,
            };
            let got = summaries_on(&gpu, &problem).unwrap().unwrap();
            let g = Graph::new();
            let x = Tensor::from_vec(
                batch.shape().to_vec(),
                batch.inputs().iter().map(|&v| f64::from(v)).collect(),
            )
            .unwrap();
            let named_params =
                Params::new(names.iter().cloned().zip(params.iter().cloned()).collect()).unwrap();
            let (loss, ids) = model.loss(&g, &named_params, x, batch.labels()).unwrap();
            let leaves: Vec<_> = ids.iter().map(|(_, id)| *id).collect();
            let want = on_engine(&g, loss.id(), &leaves, &direction, &groups).unwrap();
            let scale = |v: &[f64]| 1.0 + v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            for (what, a, b) in [
                ("loss", vec![got.loss], vec![want.loss]),
                ("gbar", got.gbar.clone(), want.gbar.clone()),
                ("hbar", got.hbar.concat(), want.hbar.concat()),
                ("d3", got.d3.clone(), want.d3.clone()),
            ] {
                let s = scale(&b);
                for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                    assert!(
                        (x - y).abs() <= 1e-10 * s,
                        "{spec:?} {what}[{k}]: {x} resident vs {y} engine"
                    );
                }
            }
        }
        let lenet = Model::from_spec("lenet5:1x28x28:tanh").unwrap();
        let problem = Problem {
            model: &lenet,
            names: &names,
            params: &params,
            direction: &direction,
            groups: &[],
            batch: &batch,
        };
        assert!(summaries_on(&gpu, &problem).is_none());
    }
}
