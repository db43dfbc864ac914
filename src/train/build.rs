//! Builds the configured optimiser for a model's parameter layout.

use jetnewton_engine::Float;
use jetnewton_optim::{
    Adam, AdamConfig, Kfac, KfacConfig, Method1, Method1Config, Optimizer, ParamLayout,
    PlateauConfig, Sgd, SgdConfig,
};

use crate::train::config::{OptimizerKind, ScheduleKind, TrainConfig};
use crate::train::error::Result;

/// The Method 1 configuration of `config` (table 2's defaults where the config is silent), with the plateau
/// scheduler called once per epoch of `steps_per_epoch` steps.
pub fn method1_config(config: &TrainConfig, steps_per_epoch: usize) -> Method1Config {
    let n = &config.newton;
    let mut m = Method1Config::paper(steps_per_epoch);
    m.lr = n.lr;
    m.solver.lambda_int = n.lambda_int;
    m.period = n.period;
    m.grad_momentum = n.grad_momentum;
    m.eta_momentum = n.eta_momentum;
    m.positive_part = n.positive_part;
    m.scheduler = (n.patience > 0).then(|| PlateauConfig {
        period: steps_per_epoch,
        patience: n.patience,
        factor: n.factor,
        threshold: n.threshold,
        ..PlateauConfig::default()
    });
    m.summary_average = n.summary_average;
    m = match n.schedule {
        ScheduleKind::Paper => m,
        ScheduleKind::Adaptive => m.adaptive(),
        ScheduleKind::AdaptiveDamping => m.adaptive_damping(),
    };
    if config.optimizer == OptimizerKind::NewtonDiag {
        m = m.diagonal();
    }
    m
}

/// The optimiser of `config` for `layout`, with `groups` (indices into the layout) for Method 1.
pub fn optimizer<F: Float>(
    config: &TrainConfig,
    layout: ParamLayout,
    groups: Vec<Vec<usize>>,
    steps_per_epoch: usize,
) -> Result<Box<dyn Optimizer<F>>> {
    Ok(match config.optimizer {
        OptimizerKind::Newton | OptimizerKind::NewtonDiag => Box::new(Method1::new(
            layout,
            groups,
            method1_config(config, steps_per_epoch),
        )?),
        OptimizerKind::Adam => {
            let a = &config.adam;
            Box::new(Adam::new(
                layout,
                AdamConfig {
                    lr: a.lr,
                    betas: (a.beta1, a.beta2),
                    eps: a.eps,
                    weight_decay: a.weight_decay,
                },
            )?)
        }
        OptimizerKind::Sgd => {
            let s = &config.sgd;
            Box::new(Sgd::new(
                layout,
                SgdConfig {
                    lr: s.lr,
                    momentum: s.momentum,
                    dampening: 0.0,
                    nesterov: s.nesterov,
                    weight_decay: s.weight_decay,
                },
            )?)
        }
        OptimizerKind::Kfac => {
            let k = &config.kfac;
            Box::new(Kfac::new(
                layout,
                KfacConfig {
                    lr: k.lr,
                    momentum: k.momentum,
                    stat_decay: k.stat_decay,
                    damping: k.damping,
                    kl_clip: k.kl_clip,
                    weight_decay: k.weight_decay,
                    t_cov: k.t_cov,
                    t_inv: k.t_inv,
                    seed: config.seed,
                },
            )?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetnewton_optim::Schedule;

    #[test]
    fn the_newton_table_maps_to_method1() {
        let mut c = TrainConfig::default();
        let m = method1_config(&c, 7);
        assert_eq!((m.schedule, m.summary_average), (Schedule::Paper, 1));
        assert_eq!(m, Method1Config::paper(7));
        c.set("newton.schedule=adaptive").unwrap();
        c.set("newton.summary_average=4").unwrap();
        let m = method1_config(&c, 7);
        assert!(matches!(m.schedule, Schedule::Adaptive(a) if a.lr_gain > 1.0));
        assert_eq!(m.summary_average, 4);
        assert!(m.validate().is_ok());
        c.set("newton.schedule=adaptive-damping").unwrap();
        let m = method1_config(&c, 7);
        assert!(matches!(m.schedule, Schedule::Adaptive(a) if a.lr_gain == 1.0));
    }
}
