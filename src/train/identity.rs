//! What makes a run itself: a random id given at creation, and its configuration but for the settings a resumed
//! run may change. A checkpoint carries both, so that `--resume` never continues one run from another's state.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::train::config::TrainConfig;

/// A new run id: 16 hex digits from the standard library's per-process random keys, the clock and the process id.
pub fn new_run_id() -> String {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// The configuration as TOML with the keys a resumed run may change (`epochs`, `steps`: to train longer;
/// `threads`: a machine's setting), its `name` and `save_dtype` (the final file's type) cleared: what a
/// checkpoint's trajectory depends on.
pub fn config_identity(config: &TrainConfig) -> String {
    let mut c = config.clone();
    c.epochs = 0;
    c.steps = None;
    c.threads = None;
    c.name = None;
    c.save_dtype = None;
    c.to_toml()
}

/// The dotted keys whose values differ between two identities, for a message (`seed`, `adam.lr`).
pub fn differing_keys(a: &str, b: &str) -> Vec<String> {
    let parse = |t: &str| t.parse::<toml::Table>().unwrap_or_default();
    let mut keys = Vec::new();
    diff_tables("", &parse(a), &parse(b), &mut keys);
    keys
}

fn diff_tables(prefix: &str, a: &toml::Table, b: &toml::Table, out: &mut Vec<String>) {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let key = format!("{prefix}{name}");
        match (a.get(name), b.get(name)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                diff_tables(&format!("{key}."), x, y, out)
            }
            (x, y) if x != y => out.push(key),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_identities_ignore_the_run_length() {
        assert_ne!(new_run_id(), new_run_id());
        let a = TrainConfig::default();
        let mut b = a.clone();
        b.epochs = 99;
        b.steps = Some(3);
        b.threads = Some(7);
        assert_eq!(config_identity(&a), config_identity(&b));
        b.seed = 1;
        b.adam.lr = 0.5;
        assert_eq!(
            differing_keys(&config_identity(&a), &config_identity(&b)),
            ["adam.lr", "seed"]
        );
    }
}
