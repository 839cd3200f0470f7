//! The editor's settings for lockfix: `initializationOptions` at start, then each
//! `workspace/didChangeConfiguration`. They play the part of the command line's flags, over the
//! project's `lockfix.toml` / `[workspace.metadata.lockfix]`, which the engine reads per file as
//! the CLI does.
//!
//! ```json
//! { "select": ["guard-across-await"], "ignore": [], "unsafeFixes": false,
//!   "configuration": "/path/to/lockfix.toml", "semantic": "auto" }
//! ```
//!
//! The object may also come wrapped as `{ "lockfix": { … } }` (how VS Code and Neovim pass a
//! section of the user's settings). Keys are accepted in camelCase and in the configuration
//! file's kebab-case. A bad entry is reported to the user and left out; the rest still applies.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::fix::engine::Engine;
use crate::fix::semantic::SemanticMode;
use crate::input::config::{ConfigResolver, Overrides};
use crate::input::rules::parse_rule_id;

/// What the editor asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorSettings {
    pub select: Vec<lockfix_transforms::RuleId>,
    pub ignore: Vec<lockfix_transforms::RuleId>,
    pub unsafe_fixes: bool,
    /// A configuration file for every document, as `--config`.
    pub configuration: Option<PathBuf>,
    /// When to ask the warm semantic tier, as `--semantic`.
    pub semantic: SemanticMode,
}

impl Default for EditorSettings {
    fn default() -> Self {
        EditorSettings {
            select: Vec::new(),
            ignore: Vec::new(),
            unsafe_fixes: false,
            configuration: None,
            semantic: SemanticMode::Auto,
        }
    }
}

impl EditorSettings {
    /// Reads `value`; returns the settings and a sentence for each entry that was left out.
    pub fn parse(value: &Value) -> (EditorSettings, Vec<String>) {
        let mut settings = EditorSettings::default();
        let mut problems = Vec::new();
        let value = value.get("lockfix").unwrap_or(value);
        let Value::Object(map) = value else {
            if !value.is_null() {
                problems.push("lockfix's settings must be a JSON object".to_owned());
            }
            return (settings, problems);
        };
        for (key, value) in map {
            match key.as_str() {
                "select" => settings.select = rules(key, value, &mut problems),
                "ignore" => settings.ignore = rules(key, value, &mut problems),
                "unsafeFixes" | "unsafe-fixes" | "unsafe_fixes" => match value.as_bool() {
                    Some(on) => settings.unsafe_fixes = on,
                    None => problems.push(format!("`{key}` must be true or false")),
                },
                "configuration" | "config" => match value {
                    Value::String(path) if !path.is_empty() => {
                        settings.configuration = Some(PathBuf::from(path));
                    }
                    Value::Null => {}
                    _ => problems.push(format!("`{key}` must be the path of a lockfix.toml")),
                },
                "semantic" => match value.as_str() {
                    Some("auto") => settings.semantic = SemanticMode::Auto,
                    Some("on") => settings.semantic = SemanticMode::On,
                    Some("off") => settings.semantic = SemanticMode::Off,
                    _ => problems.push(format!("`{key}` must be \"auto\", \"on\" or \"off\"")),
                },
                other => problems.push(format!(
                    "unknown setting `{other}` (known: select, ignore, unsafeFixes, \
                     configuration, semantic)"
                )),
            }
        }
        (settings, problems)
    }

    /// The engine for these settings. A configuration file that cannot be used is reported and
    /// the per-directory lookup is used instead.
    pub fn engine(&self, problems: &mut Vec<String>) -> Engine {
        let configs = match &self.configuration {
            Some(path) => ConfigResolver::explicit(path).unwrap_or_else(|error| {
                problems.push(error);
                ConfigResolver::discover()
            }),
            None => ConfigResolver::discover(),
        };
        Engine::new(
            Arc::new(configs),
            Overrides {
                select: self.select.clone(),
                ignore: self.ignore.clone(),
                unsafe_fixes: self.unsafe_fixes,
                strict_suppressions: false,
            },
        )
    }
}

fn rules(key: &str, value: &Value, problems: &mut Vec<String>) -> Vec<lockfix_transforms::RuleId> {
    let Value::Array(items) = value else {
        problems.push(format!("`{key}` must be a list of rule ids"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let parsed = item
                .as_str()
                .ok_or_else(|| format!("`{key}` must be a list of rule ids"))
                .and_then(|id| parse_rule_id(id).map_err(|error| format!("`{key}`: {error}")));
            parsed.map_err(|problem| problems.push(problem)).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockfix_transforms::RuleId;
    use serde_json::json;

    #[test]
    fn wrapped_or_not_and_bad_entries_reported() {
        let (settings, problems) = EditorSettings::parse(&json!({
            "lockfix": { "select": ["guard_across_await", "nope"], "unsafe-fixes": true, "x": 1 }
        }));
        assert_eq!(settings.select, [RuleId::GuardAcrossAwait]);
        assert!(settings.unsafe_fixes);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("nope"), "{problems:?}");
        assert!(problems[1].contains("unknown setting `x`"), "{problems:?}");
        let (settings, problems) = EditorSettings::parse(&json!(null));
        assert_eq!(settings, EditorSettings::default());
        assert!(problems.is_empty());
        let (_, problems) = EditorSettings::parse(&json!({ "unsafeFixes": "yes" }));
        assert_eq!(problems.len(), 1);
        let (_, problems) = EditorSettings::parse(&json!([1]));
        assert_eq!(problems.len(), 1);
    }
}
