//! The optimiser-neutral view of a [`StepReport`]: named numbers for the records ([`StepValues`]) and the
//! optimiser's own verdict on the step ([`StepFault`]), so that a training loop, its guard and its recorder need
//! know no optimiser by name.

use std::collections::BTreeMap;

use crate::optimizer::StepReport;

/// How a faulty step can be mended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A numerical accident of this step (non-finite summaries or step sizes, a solver failure that other data
    /// or a smaller step may avoid): roll back, shrink the step, try again.
    Numerical,
    /// The problem itself refuses a step and a smaller step size does not change that (Method 1: a singular
    /// `hbar` on groups whose `d3` vanishes).
    Structural,
}

/// A step the optimiser itself found faulty; its parameters moved (or not) but must not be kept.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFault {
    /// How it can be mended.
    pub kind: FaultKind,
    /// What went wrong, for a person.
    pub reason: String,
}

impl StepFault {
    /// A numerical fault.
    pub fn numerical(reason: impl Into<String>) -> Self {
        Self {
            kind: FaultKind::Numerical,
            reason: reason.into(),
        }
    }
}

/// Named values of a step, by shape. The names are the records' keys: `eta` (step sizes per group), `hbar` (a
/// fresh `S×S` summary), `lambda_int`, `rho`, `period_ratio`, `solver` (an outcome, as text), `eta_refused`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepValues {
    /// Scalars.
    pub scalars: BTreeMap<&'static str, f64>,
    /// Vectors, one entry per parameter group.
    pub vectors: BTreeMap<&'static str, Vec<f64>>,
    /// Matrices, row-major rows.
    pub matrices: BTreeMap<&'static str, Vec<Vec<f64>>>,
    /// Texts.
    pub labels: BTreeMap<&'static str, String>,
    /// Yes/no facts.
    pub flags: BTreeMap<&'static str, bool>,
}

impl StepValues {
    /// The scalar `name`.
    pub fn scalar(&self, name: &str) -> Option<f64> {
        self.scalars.get(name).copied()
    }

    /// The vector `name`.
    pub fn vector(&self, name: &str) -> Option<&[f64]> {
        self.vectors.get(name).map(Vec::as_slice)
    }

    /// The matrix `name`.
    pub fn matrix(&self, name: &str) -> Option<&[Vec<f64>]> {
        self.matrices.get(name).map(Vec::as_slice)
    }

    /// The text `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }

    /// The flag `name` (false when absent).
    pub fn flag(&self, name: &str) -> bool {
        self.flags.get(name).copied().unwrap_or(false)
    }
}

impl StepReport {
    /// The optimiser's own verdict: `Some` when the step must not be kept (beyond what any loop checks itself:
    /// a finite loss, finite parameters).
    pub fn fault(&self) -> Option<StepFault> {
        self.method1.as_ref().and_then(|m| m.fault())
    }

    /// The step's named values for the records (empty for optimisers with nothing beyond loss and step size).
    pub fn values(&self) -> StepValues {
        self.method1
            .as_ref()
            .map(|m| m.values())
            .unwrap_or_default()
    }
}
