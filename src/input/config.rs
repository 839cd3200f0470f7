//! Configuration files: `lockfix.toml`, `.lockfix.toml`, or `[workspace.metadata.lockfix]` /
//! `[package.metadata.lockfix]` in `Cargo.toml`, found from each scanned file's directory upwards
//! (the nearest directory that has one wins, as with ruff and rustfmt), in that order of
//! preference within a directory; a second one in the same directory is ignored with a warning.
//! `--config FILE` names the one file every scanned file uses.
//!
//! ```toml
//! select = ["guard-across-await"]        # default: every rule
//! ignore = ["double-lock"]
//! unsafe-fixes = true
//! extra-blocking-functions = ["mycrate::slow_hash", ".recompute_index"]
//! extra-event-emitters = ["events::publish"]
//! extra-lock-types = ["TrackedMutex"]    # the project's own lock wrappers
//! extend-exclude = ["generated"]         # globs (relative to the file's directory) not walked
//! strict-suppressions = true             # unused or malformed suppressions fail the run
//! [per-path-ignores]                     # a TOML table: keep it last
//! "tests/**" = ["guard-across-await"]    # globs relative to the file's directory
//! ```
//!
//! Command-line flags override the file. Unknown keys are errors that name the nearest valid key:
//! a misspelt key silently ignored is a setting the user believes is on.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use lockfix_transforms::RuleId;
use lockfix_transforms::analysis::effects::Extra;
use toml::{Table, Value};

use crate::input::rules::parse_rule_id;

const KEYS: &[&str] = &[
    "select",
    "ignore",
    "unsafe-fixes",
    "per-path-ignores",
    "extra-blocking-functions",
    "extra-event-emitters",
    "extra-lock-types",
    "extend-exclude",
    "strict-suppressions",
];

/// Where a setting's value came from, for `--show-settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    /// The default, with what it means (`select = []` is every rule).
    DefaultMeaning(&'static str),
    File(String),
    CommandLine,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::DefaultMeaning(meaning) => write!(f, "default: {meaning}"),
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
    /// Globs of files and directories not to walk, relative to [`FileConfig::root`] (or a bare
    /// name, matched anywhere below it).
    pub extend_exclude: Vec<String>,
    pub exclude_set: GlobSet,
    pub strict_suppressions: Option<bool>,
    /// The extra lists in the form the transforms read, built once per file.
    pub extra: Extra,
}

impl FileConfig {
    /// Whether `path` (below [`FileConfig::root`]) is excluded by `extend-exclude`.
    pub fn excludes(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        self.exclude_set.is_match(relative)
            || path
                .file_name()
                .is_some_and(|name| self.exclude_set.is_match(name))
    }
}

/// The configuration that applies in a directory, or why it could not be read.
type Lookup = Result<Option<Arc<FileConfig>>, String>;

/// A TOML table for `--show-settings`: its name, its `key = value` lines, where it came from.
pub type DescribedTable<'a> = (&'a str, Vec<(String, String)>, Source);

/// Finds the configuration of each directory, once per directory: every scanned file asks for
/// its own (a project named on the command line brings its `lockfix.toml`), and a big tree asks
/// thousands of times.
#[derive(Debug, Default)]
pub struct ConfigResolver {
    /// `--config FILE`: used for every file, nothing is looked up.
    explicit: Option<Arc<FileConfig>>,
    found: Mutex<HashMap<PathBuf, Lookup>>,
    /// `(directory, message)` for configuration files ignored in favour of another.
    warnings: Mutex<Vec<(String, String)>>,
}

impl ConfigResolver {
    /// Looks configurations up from each file's directory upwards.
    pub fn discover() -> ConfigResolver {
        ConfigResolver::default()
    }

    /// Uses the file named by `--config` for every file. A directory, a missing file or a file
    /// that is not TOML is an error; a `Cargo.toml` is read for its `metadata.lockfix` table.
    pub fn explicit(path: &Path) -> Result<ConfigResolver, String> {
        let metadata =
            fs::metadata(path).map_err(|error| format!("--config {}: {error}", path.display()))?;
        if !metadata.is_file() {
            return Err(format!("--config {}: not a file", path.display()));
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let root = absolute.parent().unwrap_or(Path::new("/"));
        let name = path.display().to_string();
        let table = read_table(path)?;
        let config = if absolute.file_name().is_some_and(|n| n == "Cargo.toml") {
            cargo_metadata_table(&table, root)?.unwrap_or_else(|| {
                Ok(FileConfig {
                    origin: name,
                    root: root.to_path_buf(),
                    ..FileConfig::default()
                })
            })?
        } else {
            parse(&table, name, root)?
        };
        Ok(ConfigResolver {
            explicit: Some(Arc::new(config)),
            ..ConfigResolver::default()
        })
    }

    /// The configuration that applies to files in `dir` (an absolute path): the nearest one at or
    /// above it.
    pub fn for_dir(&self, dir: &Path) -> Result<Option<Arc<FileConfig>>, String> {
        if let Some(explicit) = &self.explicit {
            return Ok(Some(explicit.clone()));
        }
        if let Some(known) = self.lock_found().get(dir) {
            return known.clone();
        }
        let here = self.load_dir(dir);
        let resolved = match here {
            Ok(None) => match dir.parent() {
                Some(parent) => self.for_dir(parent),
                None => Ok(None),
            },
            other => other.map(|found| found.map(Arc::new)),
        };
        self.lock_found()
            .insert(dir.to_path_buf(), resolved.clone());
        resolved
    }

    /// The configuration of the file at `path` (absolute).
    pub fn for_file(&self, path: &Path) -> Result<Option<Arc<FileConfig>>, String> {
        self.for_dir(path.parent().unwrap_or(Path::new("/")))
    }

    /// Configuration files ignored because another one in the same directory wins.
    pub fn take_warnings(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn lock_found(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Lookup>> {
        self.found.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration in `dir` itself, if any; a second one there is reported and ignored.
    fn load_dir(&self, dir: &Path) -> Result<Option<FileConfig>, String> {
        let mut present: Vec<(String, FileConfig)> = Vec::new();
        for name in ["lockfix.toml", ".lockfix.toml"] {
            let path = dir.join(name);
            if path.is_file() {
                let table = read_table(&path)?;
                present.push((name.to_owned(), parse(&table, name.to_owned(), dir)?));
            }
        }
        let manifest = dir.join("Cargo.toml");
        // A manifest that is not TOML (a template among test fixtures) configures nothing here;
        // the edition lookup reports it when it matters.
        let manifest_table = manifest
            .is_file()
            .then(|| read_manifest_table(&manifest))
            .flatten();
        if let Some(table) = manifest_table
            && let Some(config) = cargo_metadata_table(&table, dir)?
        {
            let config = config?;
            present.push((config.origin.clone(), config));
        }
        let mut present = present.into_iter();
        let Some((chosen, config)) = present.next() else {
            return Ok(None);
        };
        let ignored: Vec<String> = present.map(|(name, _)| name).collect();
        if !ignored.is_empty() {
            self.warnings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((
                    dir.display().to_string(),
                    format!(
                        "{chosen} is used; {} in the same directory {} ignored (keep one)",
                        ignored.join(" and "),
                        if ignored.len() == 1 { "is" } else { "are" }
                    ),
                ));
        }
        Ok(Some(config))
    }
}

/// `[workspace.metadata.lockfix]` or `[package.metadata.lockfix]` of a manifest, if it has one.
fn cargo_metadata_table(
    table: &Table,
    dir: &Path,
) -> Result<Option<Result<FileConfig, String>>, String> {
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
            return Ok(Some(parse(found, origin, dir)));
        }
    }
    Ok(None)
}

/// A `Cargo.toml`'s table, when it can configure lockfix: parsing every manifest of a big tree
/// cost more than the rest of the configuration lookup. A manifest without the word `lockfix` has
/// no `metadata.lockfix` table, unless a quoted key spells it with an escape (`"lock\u0066ix"`),
/// which takes a backslash; such text is parsed.
fn read_manifest_table(path: &Path) -> Option<Table> {
    let text = fs::read_to_string(path).ok()?;
    if !text.contains("lockfix") && !text.contains('\\') {
        return None;
    }
    text.parse::<Table>().ok()
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
            "extend-exclude" => {
                config.extend_exclude = string_list(value).map_err(|e| at(&e))?;
                config.exclude_set = glob_set(&config.extend_exclude).map_err(|e| at(&e))?;
            }
            "strict-suppressions" => {
                config.strict_suppressions =
                    Some(value.as_bool().ok_or_else(|| at("must be true or false"))?)
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
    config.extra = Extra::leak(
        &config.extra_blocking,
        &config.extra_emitters,
        &config.extra_lock_types,
    );
    Ok(config)
}

/// Compiles exclusion globs; the error names the bad one.
pub fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(
            Glob::new(glob.trim_end_matches('/'))
                .map_err(|error| format!("has an invalid glob `{glob}`: {error}"))?,
        );
    }
    builder.build().map_err(|error| error.to_string())
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
    let list = value.as_array().ok_or("must be a list of strings")?;
    list.iter()
        .map(|item| {
            item.as_str()
                .filter(|text| !text.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| "must be a list of strings".to_owned())
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

/// The effective settings as a TOML document, each with where it came from in a comment.
pub fn describe(settings: &[(&str, String, Source)], tables: &[DescribedTable<'_>]) -> String {
    let mut out = String::new();
    for (name, value, source) in settings {
        let _ = writeln!(out, "{name} = {value}    # {source}");
    }
    for (name, entries, source) in tables {
        let _ = writeln!(out, "\n[{name}]    # {source}");
        for (key, value) in entries {
            let _ = writeln!(out, "{} = {value}", toml_string(key));
        }
    }
    out
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// The rules the command line gives, and the flags that override a configuration file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Vec<RuleId>,
    pub ignore: Vec<RuleId>,
    pub unsafe_fixes: bool,
    pub strict_suppressions: bool,
}

/// The settings one file is checked with, and where each came from: a flag given on the command
/// line wins over the file.
#[derive(Debug, Clone)]
pub struct Settings {
    pub select: (Vec<RuleId>, Source),
    pub ignore: (Vec<RuleId>, Source),
    pub unsafe_fixes: (bool, Source),
    pub strict_suppressions: (bool, Source),
}

impl Settings {
    pub fn resolve(cli: &Overrides, file: Option<&FileConfig>) -> Settings {
        let from_file = |value: Option<&Vec<RuleId>>| {
            value
                .zip(file)
                .map(|(rules, file)| (rules.clone(), Source::File(file.origin.clone())))
        };
        let pick = |flag: &Vec<RuleId>, value: Option<&Vec<RuleId>>| {
            if flag.is_empty() {
                from_file(value).unwrap_or((Vec::new(), Source::Default))
            } else {
                (flag.clone(), Source::CommandLine)
            }
        };
        let flag_or_file = |flag: bool, value: Option<bool>| {
            if flag {
                (true, Source::CommandLine)
            } else {
                value
                    .zip(file)
                    .map(|(value, file)| (value, Source::File(file.origin.clone())))
                    .unwrap_or((false, Source::Default))
            }
        };
        Settings {
            select: pick(&cli.select, file.and_then(|f| f.select.as_ref())),
            ignore: pick(&cli.ignore, file.and_then(|f| f.ignore.as_ref())),
            unsafe_fixes: flag_or_file(cli.unsafe_fixes, file.and_then(|f| f.unsafe_fixes)),
            strict_suppressions: flag_or_file(
                cli.strict_suppressions,
                file.and_then(|f| f.strict_suppressions),
            ),
        }
    }

    /// The rules to run.
    pub fn rules(&self) -> Vec<RuleId> {
        crate::input::rules::selected_rules(&self.select.0, &self.ignore.0)
    }

    /// `--show-settings`: a TOML document a configuration file could hold.
    pub fn describe(&self, file: Option<&FileConfig>) -> String {
        let list = |rules: &[RuleId]| {
            let ids: Vec<String> = rules
                .iter()
                .map(|rule| toml_string(rule.as_str()))
                .collect();
            format!("[{}]", ids.join(", "))
        };
        // An empty list selects every rule: the default says so.
        let select_source = match &self.select.1 {
            Source::Default => Source::DefaultMeaning("every rule"),
            other => other.clone(),
        };
        let mut settings = vec![
            ("select", list(&self.select.0), select_source),
            ("ignore", list(&self.ignore.0), self.ignore.1.clone()),
            (
                "unsafe-fixes",
                self.unsafe_fixes.0.to_string(),
                self.unsafe_fixes.1.clone(),
            ),
            (
                "strict-suppressions",
                self.strict_suppressions.0.to_string(),
                self.strict_suppressions.1.clone(),
            ),
        ];
        let strings = |list: &[String]| {
            let quoted: Vec<String> = list.iter().map(|item| toml_string(item)).collect();
            format!("[{}]", quoted.join(", "))
        };
        let empty = Vec::new();
        for (name, list) in [
            (
                "extra-blocking-functions",
                file.map_or(&empty, |f| &f.extra_blocking),
            ),
            (
                "extra-event-emitters",
                file.map_or(&empty, |f| &f.extra_emitters),
            ),
            (
                "extra-lock-types",
                file.map_or(&empty, |f| &f.extra_lock_types),
            ),
            ("extend-exclude", file.map_or(&empty, |f| &f.extend_exclude)),
        ] {
            let source = match file {
                Some(file) if !list.is_empty() => Source::File(file.origin.clone()),
                _ => Source::Default,
            };
            settings.push((name, strings(list), source));
        }
        let ignores: Vec<(String, String)> = file.map_or_else(Vec::new, |file| {
            file.per_path_ignores
                .iter()
                .map(|ignore| (ignore.glob.clone(), list(&ignore.rules)))
                .collect()
        });
        let ignores_source = match file {
            Some(file) if !ignores.is_empty() => Source::File(file.origin.clone()),
            _ => Source::Default,
        };
        let origin = file.map_or("none found".to_owned(), |file| {
            format!("{} in {}", file.origin, file.root.display())
        });
        format!(
            "# configuration: {origin}\n{}",
            describe(&settings, &[("per-path-ignores", ignores, ignores_source)])
        )
    }
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
