//! From a partition spec and the parameter names to the groups of names.

use jetnewton_engine::Float;

use crate::error::{NetsError, Result};
use crate::models::Model;
use crate::params::{ParamKind, ParamSpec, Params};
use crate::partition::PartitionSpec;

/// Anything that lists parameter names in forward order: a [`Model`], [`Params`], a slice of names.
pub trait ParamNames {
    /// The names, in forward order.
    fn param_names(&self) -> Vec<String>;
}

impl ParamNames for Model {
    fn param_names(&self) -> Vec<String> {
        Model::param_names(self)
    }
}

impl<F: Float> ParamNames for Params<F> {
    fn param_names(&self) -> Vec<String> {
        self.names().into_iter().map(String::from).collect()
    }
}

impl<S: AsRef<str>> ParamNames for [S] {
    fn param_names(&self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> ParamNames for [S; N] {
    fn param_names(&self) -> Vec<String> {
        self.as_slice().param_names()
    }
}

impl<S: AsRef<str>> ParamNames for Vec<S> {
    fn param_names(&self) -> Vec<String> {
        self.as_slice().param_names()
    }
}

/// A group with its name (`block0.weight`, `head.bias`, a custom name, or the tensor's own name when canonical).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedGroup {
    /// The group's name.
    pub name: String,
    /// Its tensors, in forward order.
    pub tensors: Vec<String>,
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The run of `j` (0-based) when `n` items are split into `k` consecutive runs, longer runs first.
fn run_of(j: usize, n: usize, k: usize) -> usize {
    let (q, r) = (n / k, n % k);
    if j < r * (q + 1) {
        j / (q + 1)
    } else {
        r + (j - r * (q + 1)) / q.max(1)
    }
}

impl PartitionSpec {
    /// The groups of tensor names, ordered by their first tensor in forward order, empty groups dropped.
    ///
    /// ```
    /// use jetnewton_nets::{Model, PartitionSpec};
    /// let vgg = Model::from_spec("vgg11p:3x32x32").unwrap();
    /// let groups = PartitionSpec::Blocks(2).groups(&vgg).unwrap();
    /// assert_eq!(groups.len(), 6);
    /// assert_eq!(groups[0], ["0.weight", "1.weight", "2.weight", "3.weight"]);
    /// assert_eq!(groups[5], ["8.bias"]);
    /// ```
    pub fn groups<P: ParamNames + ?Sized>(&self, params: &P) -> Result<Vec<Vec<String>>> {
        Ok(self
            .named_groups(params)?
            .into_iter()
            .map(|g| g.tensors)
            .collect())
    }

    /// [`PartitionSpec::groups`] with the groups' names.
    ///
    /// Errors when a name appears twice, when a structured partition meets a name that is not
    /// `{layer}.weight`/`{layer}.bias`, when a tensor matches no custom group or several, or when a custom group
    /// matches no tensor.
    pub fn named_groups<P: ParamNames + ?Sized>(&self, params: &P) -> Result<Vec<NamedGroup>> {
        if let PartitionSpec::Blocks(0) | PartitionSpec::Alternate(0) | PartitionSpec::Chunks(0) =
            self
        {
            return Err(NetsError::PartitionSpec {
                spec: self.to_string(),
                reason: "K must be at least 1".into(),
            });
        }
        let names = params.param_names();
        let err = |tensor: &str, reason: String| NetsError::Partition {
            partition: self.to_string(),
            tensor: tensor.to_string(),
            reason,
        };
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(err(n, "appears twice among the parameters".into()));
            }
        }
        let keys: Vec<String> = match self {
            PartitionSpec::Canonical => names.clone(),
            PartitionSpec::Trivial => vec!["all".to_string(); names.len()],
            PartitionSpec::Custom(groups) => names
                .iter()
                .map(|n| {
                    let hits: Vec<&str> = groups
                        .iter()
                        .filter(|(_, pats)| pats.iter().any(|p| glob_match(p, n)))
                        .map(|(g, _)| g.as_str())
                        .collect();
                    match hits[..] {
                        [g] => Ok(g.to_string()),
                        [] => Err(err(n, "matches no group".into())),
                        _ => Err(err(
                            n,
                            format!("matches several groups: {}", hits.join(", ")),
                        )),
                    }
                })
                .collect::<Result<_>>()?,
            _ => {
                let parsed: Vec<(usize, ParamKind)> = names
                    .iter()
                    .map(|n| {
                        ParamSpec::parse_name(n).ok_or_else(|| {
                            err(n, "is not named `{layer}.weight` or `{layer}.bias`, which this partition needs".into())
                        })
                    })
                    .collect::<Result<_>>()?;
                self.structured_keys(&parsed)
            }
        };
        let mut groups: Vec<NamedGroup> = Vec::new();
        for (name, key) in names.into_iter().zip(keys) {
            match groups.iter_mut().find(|g| g.name == key) {
                Some(g) => g.tensors.push(name),
                None => groups.push(NamedGroup {
                    name: key,
                    tensors: vec![name],
                }),
            }
        }
        // A custom group that matches nothing is almost surely a misspelt pattern: say so rather than train
        // with fewer groups than asked for. (Structured partitions drop their empty groups by design.)
        if let PartitionSpec::Custom(custom) = self {
            if let Some((g, pats)) = custom
                .iter()
                .find(|(g, _)| !groups.iter().any(|x| &x.name == g))
            {
                return Err(NetsError::PartitionSpec {
                    spec: self.to_string(),
                    reason: format!("group `{g}` ({}) matches no parameter", pats.join(",")),
                });
            }
        }
        Ok(groups)
    }

    /// Group names for tensors `(layer, kind)` under a layer-structured partition.
    fn structured_keys(&self, parsed: &[(usize, ParamKind)]) -> Vec<String> {
        let mut layers: Vec<usize> = parsed.iter().map(|&(l, _)| l).collect();
        layers.sort_unstable();
        layers.dedup();
        let position = |l: usize| layers.iter().position(|&x| x == l).unwrap_or(0);
        let last = layers.len().saturating_sub(1);
        parsed
            .iter()
            .map(|&(layer, kind)| {
                let j = position(layer);
                let block = match *self {
                    PartitionSpec::WeightsBiases => {
                        return match kind {
                            ParamKind::Weight => "weights".to_string(),
                            ParamKind::Bias => "biases".to_string(),
                        }
                    }
                    PartitionSpec::Blocks(_) | PartitionSpec::Alternate(_) if j == last => {
                        "head".to_string()
                    }
                    PartitionSpec::Blocks(k) => format!("block{}", run_of(j, last, k)),
                    PartitionSpec::Alternate(k) => format!("alt{}", j % k),
                    PartitionSpec::Chunks(k) => format!("chunk{}", run_of(j, layers.len(), k)),
                    _ => "all".to_string(),
                };
                format!("{block}.{}", kind.suffix())
            })
            .collect()
    }
}
