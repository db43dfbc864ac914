//! Saving and restoring [`Method1`]'s state.

use jetnewton_engine::Float;

use super::direction::{AdamMoments, DirectionRule};
use super::step_size::Period;
use super::{Method1, Schedule};
use crate::error::{OptimError, Result};
use crate::optimizer::check_lr;
use crate::state::{OptimizerState, StateReader};

const KIND: &str = "method1";
const SCHEDULER: &str = "scheduler/";
const AVERAGE: &str = "average/";
const PERIOD_LOSS: &str = "period/loss";
const PERIOD_GBAR: &str = "period/gbar";
const PERIOD_DISPLACEMENT: &str = "period/displacement";
const ADAM_M: &str = "adam_m";
const ADAM_V: &str = "adam_v";

impl<F: Float> Method1<F> {
    /// `step`, `lr` (`λ_t`), the direction `ũ` as `direction/{name}`, `η̃` as the tensor `eta` of shape `[S]`
    /// once defined, the scheduler's bookkeeping under `scheduler/`, `lambda_int` with the adaptive schedule, and
    /// the summaries being averaged under `average/` when `summary_average > 1`, and the adaptive schedule's
    /// current period under `period/` (its start's loss, `gbar` and its displacement so far) once it has one, and
    /// Adam's moments as `adam_m/{name}`, `adam_v/{name}` with [`DirectionRule::Adam`].
    pub(super) fn save(&self) -> OptimizerState {
        let mut s = OptimizerState::new(KIND);
        s.set_scalar("step", self.step as f64);
        s.set_scalar("lr", self.lr);
        s.set_buffers("direction", self.layout.names(), &self.direction);
        if let Some(eta) = &self.eta {
            s.set_f64_tensor("eta", vec![eta.len()], eta.clone());
        }
        if let Some(schedule) = &self.schedule {
            schedule.save(&mut s, SCHEDULER);
        }
        if matches!(self.config.schedule, Schedule::Adaptive(_)) {
            s.set_scalar("lambda_int", self.lambda_int);
        }
        if let Some(average) = &self.average {
            average.save(&mut s, AVERAGE);
        }
        if let Some(m) = &self.moments {
            s.set_buffers(ADAM_M, self.layout.names(), &m.m);
            s.set_buffers(ADAM_V, self.layout.names(), &m.v);
        }
        if let Some(p) = &self.period {
            s.set_scalar(PERIOD_LOSS, p.loss);
            s.set_f64_tensor(PERIOD_GBAR, vec![p.gbar.len()], p.gbar.clone());
            let d = &p.displacement;
            s.set_f64_tensor(PERIOD_DISPLACEMENT, vec![d.len()], d.clone());
        }
        s
    }

    pub(super) fn load(&mut self, state: &OptimizerState) -> Result<()> {
        let mut r = StateReader::new(KIND, state)?;
        let step = r.count("step")?;
        let lr = r.scalar("lr")?;
        check_lr("lr", lr)?;
        let direction = r.buffers("direction", self.layout.names(), self.layout.shapes())?;
        let eta = if state.tensors.contains_key("eta") {
            Some(r.f64_tensor("eta", &[self.groups.len()])?)
        } else {
            None
        };
        let schedule = match &self.schedule {
            Some(s) => Some(s.loaded(&mut r, SCHEDULER)?),
            None => None,
        };
        let lambda_int = match &self.config.schedule {
            Schedule::Paper => self.config.solver.lambda_int,
            Schedule::Adaptive(a) => {
                let v = r.scalar("lambda_int")?;
                if !(a.lambda_min..=a.lambda_max).contains(&v) {
                    return Err(OptimError::State {
                        kind: KIND,
                        reason: format!(
                            "lambda_int = {v} is outside [{}, {}]",
                            a.lambda_min, a.lambda_max
                        ),
                    });
                }
                v
            }
        };
        let average = match &self.average {
            Some(a) => Some(a.loaded(&mut r, AVERAGE)?),
            None => None,
        };
        let period = if r.has_scalar(PERIOD_LOSS) {
            let n = self.groups.len();
            Some(Period {
                loss: r.scalar(PERIOD_LOSS)?,
                gbar: r.f64_tensor(PERIOD_GBAR, &[n])?,
                displacement: r.f64_tensor(PERIOD_DISPLACEMENT, &[n])?,
            })
        } else {
            None
        };
        let moments = if self.config.direction == DirectionRule::Adam && step > 0 {
            let (names, shapes) = (self.layout.names(), self.layout.shapes());
            Some(AdamMoments {
                m: r.buffers(ADAM_M, names, shapes)?,
                v: r.buffers(ADAM_V, names, shapes)?,
            })
        } else {
            None
        };
        r.finish()?;
        self.moments = moments;
        self.period = period;
        self.lambda_int = lambda_int;
        self.average = average;
        self.step = step;
        self.lr = lr;
        self.direction = direction;
        self.eta = eta;
        self.schedule = schedule;
        Ok(())
    }
}
