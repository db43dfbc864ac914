//! Builds the configured optimiser for a model's parameter layout.

use jetnewton_engine::Float;
use jetnewton_optim::{
    Adam, Kfac, KfacConfig, Method1, Method1Config, OptimError, Optimizer, ParamLayout,
    PlateauConfig, Sgd,
};

use crate::train::config::{OptimizerKind, ScheduleKind, TrainConfig};
use crate::train::error::{Result, TrainError};

/// The Method 1 configuration of `config` (table 2's defaults where the config is silent), with the plateau
/// scheduler called once per epoch of `steps_per_epoch` steps.
pub fn method1_config(config: &TrainConfig, steps_per_epoch: usize) -> Method1Config {
    let n = &config.newton;
    let mut m = Method1Config::paper(steps_per_epoch);
    m.lr = n.lr;
    m.solver.lambda_int = n.lambda_int;
    m.period = n.period;
    m.grad_momentum = n.grad_momentum;
    m.direction = n.direction;
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

/// K-FAC's configuration of `config`: its `[kfac]` table, with the run's seed (the file has no second one).
fn kfac_config(config: &TrainConfig) -> KfacConfig {
    KfacConfig {
        seed: config.seed,
        ..config.kfac
    }
}

/// The config key of an optimiser's field: the optimiser's table, then the field as the config spells it
/// (`solver.lambda_int` → `newton.lambda_int`, `scheduler.factor` → `newton.factor`).
fn config_key(optimizer: OptimizerKind, field: &str) -> String {
    let table = if optimizer.is_newton() {
        "newton"
    } else {
        optimizer.name()
    };
    let field = match field {
        // The adaptive schedules take their bounds from λ_int: the only one of their values a config sets.
        "schedule.lambda_min" | "schedule.lambda_max" => "lambda_int",
        other => other
            .strip_prefix("solver.")
            .or_else(|| other.strip_prefix("scheduler."))
            .unwrap_or(other),
    };
    format!("{table}.{field}")
}

/// An optimiser's refusal of a hyper-parameter, as an error naming the config key; other errors unchanged.
fn named(optimizer: OptimizerKind, e: OptimError) -> TrainError {
    match e {
        OptimError::InvalidConfig {
            field,
            value,
            reason,
        } => TrainError::Value {
            key: config_key(optimizer, field),
            reason: if config_key(optimizer, field) == "newton.lambda_int" {
                format!(
                    "must be finite and positive with an adaptive newton.schedule, and finite and \
                     non-negative with the paper's (got {value})"
                )
            } else {
                format!("{reason} (got {value})")
            },
        },
        other => other.into(),
    }
}

/// Checks the hyper-parameters of the configured optimiser (only its table: the others are not used), with the
/// optimiser's own rules; errors name the config key.
pub fn check_hyper_parameters(config: &TrainConfig) -> Result<()> {
    match config.optimizer {
        OptimizerKind::Newton | OptimizerKind::NewtonDiag => method1_config(config, 1).validate(),
        OptimizerKind::Adam => config.adam.validate(),
        OptimizerKind::Sgd => config.sgd.validate(),
        OptimizerKind::Kfac => kfac_config(config).validate(),
    }
    .map_err(|e| named(config.optimizer, e))
}

/// The optimiser of `config` for `layout`, with `groups` (indices into the layout) for Method 1.
pub fn optimizer<F: Float>(
    config: &TrainConfig,
    layout: ParamLayout,
    groups: Vec<Vec<usize>>,
    steps_per_epoch: usize,
) -> Result<Box<dyn Optimizer<F>>> {
    let built: std::result::Result<Box<dyn Optimizer<F>>, OptimError> = match config.optimizer {
        OptimizerKind::Newton | OptimizerKind::NewtonDiag => {
            Method1::new(layout, groups, method1_config(config, steps_per_epoch))
                .map(|o| Box::new(o) as _)
        }
        OptimizerKind::Adam => Adam::new(layout, config.adam).map(|o| Box::new(o) as _),
        OptimizerKind::Sgd => Sgd::new(layout, config.sgd).map(|o| Box::new(o) as _),
        OptimizerKind::Kfac => Kfac::new(layout, kfac_config(config)).map(|o| Box::new(o) as _),
    };
    built.map_err(|e| named(config.optimizer, e))
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

    #[test]
    fn refusals_name_the_config_key() {
        for (optimizer, assignment, key) in [
            (OptimizerKind::Newton, "newton.lr=-0.1", "newton.lr"),
            (
                OptimizerKind::NewtonDiag,
                "newton.lambda_int=-1",
                "newton.lambda_int",
            ),
            (
                OptimizerKind::Newton,
                "newton.grad_momentum=-0.5",
                "newton.grad_momentum",
            ),
            (
                OptimizerKind::Newton,
                "newton.eta_momentum=1.5",
                "newton.eta_momentum",
            ),
            (OptimizerKind::Newton, "newton.factor=-2", "newton.factor"),
            (OptimizerKind::Adam, "adam.lr=-1e-3", "adam.lr"),
            (OptimizerKind::Adam, "adam.beta2=-0.9", "adam.beta2"),
            (OptimizerKind::Adam, "adam.eps=-1", "adam.eps"),
            (OptimizerKind::Sgd, "sgd.lr=-1", "sgd.lr"),
            (OptimizerKind::Sgd, "sgd.momentum=-0.9", "sgd.momentum"),
            (OptimizerKind::Kfac, "kfac.lr=-1", "kfac.lr"),
            (OptimizerKind::Kfac, "kfac.damping=-0.03", "kfac.damping"),
            (OptimizerKind::Kfac, "kfac.momentum=-0.9", "kfac.momentum"),
        ] {
            let mut c = TrainConfig {
                optimizer,
                ..TrainConfig::default()
            };
            c.set(assignment).unwrap();
            let e = check_hyper_parameters(&c).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{key}`")) && !e.contains("Params") && !e.contains("Config"),
                "{assignment}: {e}"
            );
        }
        let mut c = TrainConfig::default();
        c.set("newton.schedule=adaptive").unwrap();
        c.set("newton.lambda_int=0").unwrap();
        let e = check_hyper_parameters(&c).unwrap_err().to_string();
        assert!(
            e.contains("`newton.lambda_int`") && !e.contains("AdaptiveConfig"),
            "{e}"
        );
    }
}
