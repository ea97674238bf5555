//! `--name value` options; every option must be read, so a misspelt one is an error rather than ignored.

use std::collections::HashMap;
use std::str::FromStr;

pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    pub fn parse(raw: Vec<String>) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut iter = raw.into_iter();
        while let Some(name) = iter.next() {
            let Some(key) = name.strip_prefix("--") else {
                return Err(format!("unexpected argument {name:?}"));
            };
            let value = iter.next().ok_or_else(|| format!("{name} needs a value"))?;
            values.insert(key.to_string(), value);
        }
        Ok(Self { values })
    }

    /// A required option.
    pub fn required<T: FromStr>(&mut self, name: &str) -> Result<T, String> {
        self.optional(name)?
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// An option with a default.
    pub fn or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T, String> {
        Ok(self.optional(name)?.unwrap_or(default))
    }

    pub fn optional<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.values.remove(name) {
            None => Ok(None),
            Some(value) => value
                .parse()
                .map(Some)
                .map_err(|_| format!("--{name}: cannot parse {value:?}")),
        }
    }

    /// Fails when an option was given that nothing read.
    pub fn finish(self) -> Result<(), String> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(name) => Err(format!("unknown option --{name}")),
        }
    }
}
