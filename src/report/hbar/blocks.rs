//! Cutting hbar into the blocks the paper shows (figure 1): weight-weight, weight-bias and bias-bias.

use crate::run::records::GroupKind;

/// How a matrix over the groups is cut into panels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Panels {
    /// One panel of the whole matrix, rows and columns in this order of groups: when there are no bias groups,
    /// or nothing but bias groups, there are no blocks to tell apart.
    Whole(Vec<usize>),
    /// Three panels: weights × weights, weights × biases, biases × biases. Mixed groups (weights and biases
    /// together) count with the weights, since they hold weights.
    Split {
        /// The groups holding weights, in their order.
        weights: Vec<usize>,
        /// The bias groups, in their order.
        biases: Vec<usize>,
    },
}

/// One panel: a block of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// What it shows (`weight-weight`, …), empty for a whole matrix.
    pub name: &'static str,
    /// The groups of its rows, top to bottom.
    pub rows: Vec<usize>,
    /// The groups of its columns, left to right.
    pub cols: Vec<usize>,
}

impl Panels {
    /// The panels for groups of these kinds: weights first, then biases, each in the partition's order.
    pub fn of(kinds: &[GroupKind]) -> Self {
        let (biases, weights): (Vec<usize>, Vec<usize>) =
            (0..kinds.len()).partition(|&g| kinds[g] == GroupKind::Bias);
        if biases.is_empty() || weights.is_empty() {
            Self::Whole((0..kinds.len()).collect())
        } else {
            Self::Split { weights, biases }
        }
    }

    /// The blocks to draw, left to right.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Self::Whole(order) => vec![Block {
                name: "",
                rows: order.clone(),
                cols: order.clone(),
            }],
            Self::Split { weights, biases } => vec![
                Block {
                    name: "weight-weight",
                    rows: weights.clone(),
                    cols: weights.clone(),
                },
                Block {
                    name: "weight-bias",
                    rows: weights.clone(),
                    cols: biases.clone(),
                },
                Block {
                    name: "bias-bias",
                    rows: biases.clone(),
                    cols: biases.clone(),
                },
            ],
        }
    }
}

impl Block {
    /// The entries of `matrix` in this block, `[row][col]`.
    pub fn extract(&self, matrix: &[Vec<f64>]) -> Vec<Vec<f64>> {
        self.rows
            .iter()
            .map(|&r| self.cols.iter().map(|&c| matrix[r][c]).collect())
            .collect()
    }
}
