//! Partitions of a model's parameter tensors into groups (appendices H and K of the paper).
//!
//! See [`PartitionSpec`] for the partitions.

mod engine;
mod groups;

use std::fmt;
use std::str::FromStr;

pub use engine::{direction_from_params, to_engine_groups};
pub use groups::{NamedGroup, ParamNames};

use crate::error::{NetsError, Result};

/// A way to partition parameter tensors into groups.
///
/// | name | groups |
/// |---|---|
/// | `canonical` | every tensor its own group (S = number of tensors) |
/// | `trivial` | one group (S = 1) |
/// | `weights-biases` | all weights, all biases (S = 2) |
/// | `blocks-K` | the layers before the last (the "body") split into K runs of consecutive layers, each split into weights and biases; the last (classification) layer's weight and bias on their own: S = 2K + 2 |
/// | `alternate-K` | body layer `l` (0-based) in block `l % K`, each block split into weights and biases; last layer's weight and bias on their own: S = 2K + 2 |
/// | `chunks-K` | all layers split into K runs of consecutive layers, each split into weights and biases: S = 2K |
/// | `custom:NAME=PAT,PAT;NAME=PAT` | user groups of name patterns, `*` matching any run of characters |
///
/// Runs of consecutive layers are as even as possible, longer ones first (numpy's `array_split`: 10 layers in 4
/// runs are 3, 3, 2, 2). Groups that would be empty (K larger than the number of layers, a custom group matching
/// nothing) are dropped. Groups are ordered by their first tensor in forward order — by first layer, weights
/// before biases — and tensors within a group keep forward order. Every tensor lands in exactly one group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PartitionSpec {
    /// Every tensor its own group.
    Canonical,
    /// One group holding everything.
    Trivial,
    /// All weights, then all biases.
    WeightsBiases,
    /// `blocks-K`: K blocks of consecutive body layers, split into weights and biases, plus the last layer's two.
    Blocks(usize),
    /// `alternate-K`: body layer `l` in block `l % K`, split into weights and biases, plus the last layer's two.
    Alternate(usize),
    /// `chunks-K`: K chunks of consecutive layers (all of them), each split into weights and biases.
    Chunks(usize),
    /// Named groups of name patterns (`*` matches any run of characters, `.` included).
    Custom(Vec<(String, Vec<String>)>),
}

/// An error about the partition spec `spec`.
fn bad(spec: &str, reason: impl Into<String>) -> NetsError {
    NetsError::PartitionSpec {
        spec: spec.to_string(),
        reason: reason.into(),
    }
}

/// Parses `NAME=PAT,PAT;NAME=PAT`.
fn parse_custom(spec: &str, body: &str) -> Result<Vec<(String, Vec<String>)>> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for part in body.split(';') {
        let (name, patterns) = part
            .split_once('=')
            .ok_or_else(|| bad(spec, format!("group {part:?} is not NAME=PATTERN,PATTERN")))?;
        let name = name.trim();
        let patterns: Vec<String> = patterns.split(',').map(|p| p.trim().to_string()).collect();
        if name.is_empty() || patterns.iter().any(String::is_empty) {
            return Err(bad(
                spec,
                format!("group {part:?} has an empty name or pattern"),
            ));
        }
        if groups.iter().any(|(n, _)| n == name) {
            return Err(bad(spec, format!("group name {name:?} appears twice")));
        }
        groups.push((name.to_string(), patterns));
    }
    Ok(groups)
}

impl FromStr for PartitionSpec {
    type Err = NetsError;

    /// Parses `canonical`, `trivial`, `weights-biases`, `blocks-K`, `alternate-K`, `chunks-K` (K ≥ 1; names
    /// ignore ASCII case) or `custom:NAME=PAT,PAT;NAME=PAT`.
    fn from_str(spec: &str) -> Result<Self> {
        let s = spec.trim();
        if let Some(body) = s.strip_prefix("custom:") {
            return parse_custom(spec, body).map(PartitionSpec::Custom);
        }
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "canonical" => return Ok(PartitionSpec::Canonical),
            "trivial" => return Ok(PartitionSpec::Trivial),
            "weights-biases" => return Ok(PartitionSpec::WeightsBiases),
            _ => {}
        }
        let known = "expected canonical, trivial, weights-biases, blocks-K, alternate-K, chunks-K or custom:…";
        let (kind, k) = lower
            .rsplit_once('-')
            .ok_or_else(|| bad(spec, format!("unknown partition ({known})")))?;
        let make: fn(usize) -> PartitionSpec = match kind {
            "blocks" => PartitionSpec::Blocks,
            "alternate" => PartitionSpec::Alternate,
            "chunks" => PartitionSpec::Chunks,
            _ => return Err(bad(spec, format!("unknown partition ({known})"))),
        };
        match k.parse::<usize>() {
            Ok(k) if k > 0 => Ok(make(k)),
            _ => Err(bad(spec, format!("K = {k:?} is not a positive integer"))),
        }
    }
}

impl fmt::Display for PartitionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionSpec::Canonical => f.write_str("canonical"),
            PartitionSpec::Trivial => f.write_str("trivial"),
            PartitionSpec::WeightsBiases => f.write_str("weights-biases"),
            PartitionSpec::Blocks(k) => write!(f, "blocks-{k}"),
            PartitionSpec::Alternate(k) => write!(f, "alternate-{k}"),
            PartitionSpec::Chunks(k) => write!(f, "chunks-{k}"),
            PartitionSpec::Custom(groups) => {
                let parts: Vec<String> = groups
                    .iter()
                    .map(|(n, p)| format!("{n}={}", p.join(",")))
                    .collect();
                write!(f, "custom:{}", parts.join(";"))
            }
        }
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for text in [
            "canonical",
            "trivial",
            "weights-biases",
            "blocks-2",
            "alternate-4",
            "chunks-5",
            "custom:convs=0.*,1.*;rest=*",
        ] {
            let spec: PartitionSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "Blocks-3".parse::<PartitionSpec>().unwrap(),
            PartitionSpec::Blocks(3)
        );
        assert_eq!(
            "custom: a = 0.* , 1.bias ;b=*"
                .parse::<PartitionSpec>()
                .unwrap(),
            PartitionSpec::Custom(vec![
                ("a".into(), vec!["0.*".into(), "1.bias".into()]),
                ("b".into(), vec!["*".into()])
            ])
        );
    }

    #[test]
    fn bad_names_are_refused_with_the_spec_quoted() {
        for (text, why) in [
            ("blocks-0", "K = \"0\""),
            ("blocks-x", "K = \"x\""),
            ("blocks", "unknown partition"),
            ("layers-2", "unknown partition"),
            ("custom:a", "NAME=PATTERN"),
            ("custom:a=;b=*", "empty name or pattern"),
            ("custom:a=*;a=1.*", "appears twice"),
        ] {
            let err = text.parse::<PartitionSpec>().unwrap_err().to_string();
            assert!(
                err.contains(&format!("{text:?}")) && err.contains(why),
                "{text}: {err}"
            );
        }
    }
}

#[cfg(test)]
mod tests;
