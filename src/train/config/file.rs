//! The config as a file: reading TOML (unknown keys and wrong types named with their line), writing it, and
//! `--set KEY=VALUE`.

use std::path::Path;

use super::TrainConfig;
use crate::train::error::{Result, TrainError};

impl TrainConfig {
    /// Reads a TOML config; unknown keys and wrong types are errors naming the file, the key and the line.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|reason| TrainError::Config {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses TOML text; the error is toml's message (key, line and column).
    pub fn from_toml(text: &str) -> std::result::Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// The TOML form, every key written.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot serialise: {e}\n"))
    }

    /// Applies one `key=value` override (`newton.lr=0.05`, `optimizer="adam"`, `epochs=3`): the value is read as
    /// TOML, or as a string when it does not parse as TOML. The key must exist.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let bad = |key: &str, reason: String| TrainError::Value {
            key: key.into(),
            reason,
        };
        let (key, text) = assignment
            .split_once('=')
            .ok_or_else(|| bad(assignment, "expected KEY=VALUE".into()))?;
        let key = key.trim();
        let value = toml::from_str::<toml::Table>(&format!("v = {}", text.trim()))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(text.trim().to_string()));
        let mut root = toml::Value::try_from(&*self).map_err(|e| bad(key, e.to_string()))?;
        let mut slot = &mut root;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let table = slot
                .as_table_mut()
                .ok_or_else(|| bad(key, format!("`{}` is not a table", parts[..i].join("."))))?;
            if i + 1 == parts.len() {
                table.insert((*part).to_string(), value.clone());
                break;
            }
            // A section left out of the file because it holds its defaults (`[probe]`) starts empty; an unknown
            // one is refused when the result is read back.
            slot = table
                .entry((*part).to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        }
        *self = root
            .try_into()
            .map_err(|e: toml::de::Error| bad(key, e.message().to_string()))?;
        Ok(())
    }
}
