//! Rule ids on the command line: parsing (with the spellings users bring from clippy and from
//! snake_case habits), "did you mean", the `--select`/`--ignore` set and each rule's documentation
//! URL.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use lockfix_transforms::suppress::clippy_equivalents;
use lockfix_transforms::{RuleId, implemented_rules};

/// Parses a rule id. `guard_across_await` and `GUARD-ACROSS-AWAIT` are the same id, and a clippy
/// lint that lockfix's rule covers (`await_holding_lock`, `clippy::await_holding_lock`) names that
/// rule. An unknown name is an error that suggests the nearest id only when one is close.
pub fn parse_rule_id(id: &str) -> Result<RuleId, String> {
    let normalized = normalize(id);
    if let Some(rule) = RuleId::from_id(&normalized) {
        return Ok(rule);
    }
    if let Some(rule) = rule_of_clippy_lint(id) {
        return Ok(rule);
    }
    let valid: Vec<&str> = RuleId::ALL.iter().map(|rule| rule.as_str()).collect();
    let suggestion = nearest_rule(id)
        .map(|rule| format!("; did you mean `{rule}`?"))
        .unwrap_or_default();
    Err(format!(
        "unknown rule `{id}`{suggestion} (valid rules: {})",
        valid.join(", ")
    ))
}

/// Lower case, `-` for `_`: the spellings of one id.
fn normalize(id: &str) -> String {
    id.trim().to_ascii_lowercase().replace('_', "-")
}

/// The rule a clippy lint's `allow` silences (the first, when it silences several), so that
/// `--select await_holding_lock` means what a clippy user expects.
fn rule_of_clippy_lint(name: &str) -> Option<RuleId> {
    let name = name.trim().to_ascii_lowercase().replace('-', "_");
    let name = name.strip_prefix("clippy::").unwrap_or(&name);
    RuleId::ALL
        .into_iter()
        .find(|rule| clippy_equivalents(*rule).contains(&name))
}

/// The rule id close enough to `id` to be what the user meant: within a third of its length in
/// edit distance (at least one edit), ignoring case and `_`/`-` differences. `None` for names
/// that resemble nothing (`nope`, `GAA`, ``), where any suggestion would mislead.
pub fn nearest_rule(id: &str) -> Option<RuleId> {
    let normalized = normalize(id);
    if normalized.is_empty() {
        return None;
    }
    let (rule, distance) = RuleId::ALL
        .into_iter()
        .map(|rule| (rule, strsim::levenshtein(&normalized, rule.as_str())))
        .min_by_key(|(_, distance)| *distance)?;
    let allowed = (rule.as_str().len() / 3).max(1);
    (distance <= allowed).then_some(rule)
}

/// clap's parser for rule ids: [`parse_rule_id`], and the ids as possible values so that shell
/// completions offer them (help does not list them: `--list-rules` does, with their summaries).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleIdParser;

impl TypedValueParser for RuleIdParser {
    type Value = RuleId;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<RuleId, clap::Error> {
        StringValueParser::new()
            .try_map(|text| parse_rule_id(&text))
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            RuleId::ALL
                .into_iter()
                .map(|rule| PossibleValue::new(rule.as_str())),
        ))
    }
}

/// Where a rule's documentation lives on the web: its transform's source file, whose doc block
/// is what `--explain` prints (tests/tidy.rs checks that every file exists).
pub fn doc_url(rule: RuleId) -> String {
    let file = match rule {
        RuleId::GuardAcrossAwait => "guard_across_await/mod.rs".to_owned(),
        other => format!("{}.rs", other.as_str().replace('-', "_")),
    };
    format!("{REPOSITORY}/blob/main/transforms/src/rules/{file}")
}

/// The project's home, as `Cargo.toml` says.
pub const REPOSITORY: &str = "https://github.com/lockfix/lockfix";

/// The rules to run: the selected ones (every implemented rule when none is selected) minus the
/// ignored ones, in a stable order.
pub fn selected_rules(select: &[RuleId], ignore: &[RuleId]) -> Vec<RuleId> {
    let base: Vec<RuleId> = if select.is_empty() {
        implemented_rules().to_vec()
    } else {
        select.to_vec()
    };
    let mut rules: Vec<RuleId> = base
        .into_iter()
        .filter(|rule| !ignore.contains(rule))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Selected rules this build does not implement: they are accepted (the ids are stable) but find
/// nothing, which the user should know.
pub fn unimplemented(rules: &[RuleId]) -> Vec<RuleId> {
    rules
        .iter()
        .copied()
        .filter(|rule| !implemented_rules().contains(rule))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_rules() {
        assert_eq!(
            nearest_rule("guard-accross-await"),
            Some(RuleId::GuardAcrossAwait)
        );
        assert_eq!(nearest_rule("DOUBLE_LOK"), Some(RuleId::DoubleLock));
        for far in ["nope", "GAA", "", "read-write-lock-thing"] {
            assert_eq!(nearest_rule(far), None, "{far}");
        }
        let error = parse_rule_id("guard-across-wait").unwrap_err();
        assert!(
            error.contains("did you mean `guard-across-await`?"),
            "{error}"
        );
        assert!(!parse_rule_id("nope").unwrap_err().contains("did you mean"));
    }

    #[test]
    fn snake_case_and_clippy_names() {
        assert_eq!(parse_rule_id("double-lock"), Ok(RuleId::DoubleLock));
        assert_eq!(parse_rule_id("double_lock"), Ok(RuleId::DoubleLock));
        assert_eq!(
            parse_rule_id("await_holding_lock"),
            Ok(RuleId::GuardAcrossAwait)
        );
        assert_eq!(
            parse_rule_id("clippy::significant_drop_in_scrutinee"),
            Ok(RuleId::GuardInScrutinee)
        );
    }

    #[test]
    fn ignore_wins_over_select() {
        let rules = selected_rules(
            &[RuleId::DoubleLock, RuleId::GuardAcrossAwait],
            &[RuleId::DoubleLock],
        );
        assert_eq!(rules, [RuleId::GuardAcrossAwait]);
        let mut implemented = implemented_rules().to_vec();
        implemented.sort();
        assert_eq!(selected_rules(&[], &[]), implemented);
    }
}
