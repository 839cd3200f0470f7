//! Configuration files: `lockfix.toml`, `.lockfix.toml`, or `[workspace.metadata.lockfix]` /
//! `[package.metadata.lockfix]` in `Cargo.toml`, found in the current directory or the nearest
//! directory above it that has one (in that order of preference within a directory).
//!
//! ```toml
//! select = ["guard-across-await"]        # default: every rule
//! ignore = ["double-lock"]
//! unsafe-fixes = true
//! extra-blocking-functions = ["mycrate::slow_hash", ".recompute_index"]
//! extra-event-emitters = ["events::publish"]
//! extra-lock-types = ["TrackedMutex"]    # the project's own lock wrappers
//! [per-path-ignores]                     # a TOML table: keep it last
//! "tests/**" = ["guard-across-await"]    # globs relative to the file's directory
//! ```
//!
//! Command-line flags override the file. Unknown keys are errors that name the nearest valid key:
//! a misspelt key silently ignored is a setting the user believes is on.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use lockfix_transforms::RuleId;
use toml::{Table, Value};

use crate::rules::parse_rule_id;

const KEYS: &[&str] = &[
    "select",
    "ignore",
    "unsafe-fixes",
    "per-path-ignores",
    "extra-blocking-functions",
    "extra-event-emitters",
    "extra-lock-types",
];

/// Where a setting's value came from, for `--show-settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(String),
    CommandLine,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(file) => f.write_str(file),
            Source::CommandLine => f.write_str("command line"),
        }
    }
}

/// A glob and the rules it turns off for the files it matches.
#[derive(Debug, Clone)]
pub struct PathIgnore {
    pub glob: String,
    pub matcher: GlobMatcher,
    pub rules: Vec<RuleId>,
}

/// What a configuration file says.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    /// The file, as shown to the user (with the table for Cargo.toml).
    pub origin: String,
    /// The directory path globs are relative to.
    pub root: PathBuf,
    pub select: Option<Vec<RuleId>>,
    pub ignore: Option<Vec<RuleId>>,
    pub unsafe_fixes: Option<bool>,
    pub per_path_ignores: Vec<PathIgnore>,
    /// Call patterns added to the blocking list (`mycrate::slow_hash`, `.compute`), in the
    /// grammar of `lockfix_transforms::analysis::effects`.
    pub extra_blocking: Vec<String>,
    /// Call patterns added to the emitter list.
    pub extra_emitters: Vec<String>,
    /// The project's own lock types (`TrackedMutex`, `sync::FairLock`): fields, lets, parameters
    /// and statics of these types are locks (blocking).
    pub extra_lock_types: Vec<String>,
}

/// Finds and reads the configuration that applies to `cwd`; `Ok(None)` when there is none.
pub fn load(cwd: &Path) -> Result<Option<FileConfig>, String> {
    for dir in cwd.ancestors() {
        for name in ["lockfix.toml", ".lockfix.toml"] {
            let path = dir.join(name);
            if path.is_file() {
                let table = read_table(&path)?;
                return parse(&table, name.to_owned(), dir).map(Some);
            }
        }
        let manifest = dir.join("Cargo.toml");
        if manifest.is_file() {
            let table = read_table(&manifest)?;
            for section in ["workspace", "package"] {
                let found = table
                    .get(section)
                    .and_then(|v| v.get("metadata"))
                    .and_then(|v| v.get("lockfix"));
                if let Some(found) = found {
                    let origin = format!("Cargo.toml [{section}.metadata.lockfix]");
                    let Value::Table(found) = found else {
                        return Err(format!("{origin} must be a table"));
                    };
                    return parse(found, origin, dir).map(Some);
                }
            }
        }
    }
    Ok(None)
}

fn read_table(path: &Path) -> Result<Table, String> {
    let text = fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    text.parse::<Table>()
        .map_err(|error| format!("{} is not valid TOML: {error}", path.display()))
}

/// Checks and converts one configuration table.
pub fn parse(table: &Table, origin: String, root: &Path) -> Result<FileConfig, String> {
    let mut config = FileConfig {
        origin: origin.clone(),
        root: root.to_path_buf(),
        ..FileConfig::default()
    };
    for (key, value) in table {
        let at = |what: &str| format!("{origin}: `{key}` {what}");
        match key.as_str() {
            "select" => config.select = Some(rule_list(value).map_err(|e| at(&e))?),
            "ignore" => config.ignore = Some(rule_list(value).map_err(|e| at(&e))?),
            "unsafe-fixes" => {
                config.unsafe_fixes =
                    Some(value.as_bool().ok_or_else(|| at("must be true or false"))?)
            }
            "per-path-ignores" => {
                let Value::Table(globs) = value else {
                    return Err(at("must be a table of glob = [rules]"));
                };
                for (glob, rules) in globs {
                    let matcher = Glob::new(glob)
                        .map_err(|error| at(&format!("has an invalid glob `{glob}`: {error}")))?
                        .compile_matcher();
                    config.per_path_ignores.push(PathIgnore {
                        glob: glob.clone(),
                        matcher,
                        rules: rule_list(rules).map_err(|e| at(&e))?,
                    });
                }
            }
            "extra-blocking-functions" => {
                config.extra_blocking = string_list(value).map_err(|e| at(&e))?
            }
            "extra-event-emitters" => {
                config.extra_emitters = string_list(value).map_err(|e| at(&e))?
            }
            "extra-lock-types" => {
                config.extra_lock_types = string_list(value).map_err(|e| at(&e))?
            }
            _ => {
                return Err(format!(
                    "{origin}: unknown key `{key}`; did you mean `{}`? (valid keys: {})",
                    nearest_key(key),
                    KEYS.join(", ")
                ));
            }
        }
    }
    Ok(config)
}

fn rule_list(value: &Value) -> Result<Vec<RuleId>, String> {
    let Value::Array(items) = value else {
        return Err("must be a list of rule ids".to_owned());
    };
    items
        .iter()
        .map(|item| {
            item.as_str()
                .ok_or_else(|| "must be a list of rule ids".to_owned())
                .and_then(parse_rule_id)
        })
        .collect()
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    let list = value.as_array().ok_or("must be a list of call patterns")?;
    list.iter()
        .map(|item| {
            item.as_str()
                .filter(|text| !text.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| "must be a list of call patterns".to_owned())
        })
        .collect()
}

fn nearest_key(key: &str) -> &'static str {
    KEYS.iter()
        .copied()
        .min_by_key(|valid| strsim::levenshtein(key, valid))
        .unwrap_or(KEYS[0])
}

/// The rules a file may not be checked for, by the per-path ignores.
pub fn ignored_for(config: Option<&FileConfig>, path: &Path) -> Vec<RuleId> {
    let Some(config) = config else {
        return Vec::new();
    };
    let relative = path.strip_prefix(&config.root).unwrap_or(path);
    config
        .per_path_ignores
        .iter()
        .filter(|ignore| ignore.matcher.is_match(relative))
        .flat_map(|ignore| ignore.rules.iter().copied())
        .collect()
}

/// The effective settings, one per line, each with where it came from.
pub fn describe(settings: &[(&str, String, Source)]) -> String {
    let mut out = String::new();
    for (name, value, source) in settings {
        let _ = writeln!(out, "{name} = {value}    # {source}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<FileConfig, String> {
        parse(
            &text.parse::<Table>().unwrap(),
            "lockfix.toml".into(),
            Path::new("/r"),
        )
    }

    #[test]
    fn keys_and_errors() {
        let config = parse_str(
            "select = [\"double-lock\"]\nunsafe-fixes = true\n[per-path-ignores]\n\"tests/**\" = [\"guard-across-await\"]\n",
        )
        .unwrap();
        assert_eq!(config.select, Some(vec![RuleId::DoubleLock]));
        assert_eq!(config.unsafe_fixes, Some(true));
        assert_eq!(
            ignored_for(Some(&config), Path::new("/r/tests/a/b.rs")),
            [RuleId::GuardAcrossAwait]
        );
        assert!(ignored_for(Some(&config), Path::new("/r/src/b.rs")).is_empty());
        let error = parse_str("selct = []").unwrap_err();
        assert!(
            error.contains("unknown key `selct`; did you mean `select`?"),
            "{error}"
        );
        let error = parse_str("ignore = [\"double-lok\"]").unwrap_err();
        assert!(error.contains("did you mean `double-lock`?"), "{error}");
        assert!(parse_str("unsafe-fixes = 1").is_err());
    }
}
