//! Rule ids on the command line: parsing, "did you mean", and the `--select`/`--ignore` set.

use lockfix_transforms::{RuleId, implemented_rules};

/// Parses a rule id, suggesting the nearest valid one when it is unknown.
pub fn parse_rule_id(id: &str) -> Result<RuleId, String> {
    RuleId::from_id(id).ok_or_else(|| {
        let valid: Vec<&str> = RuleId::ALL.iter().map(|rule| rule.as_str()).collect();
        format!(
            "unknown rule `{id}`; did you mean `{}`? (valid rules: {})",
            nearest_rule(id),
            valid.join(", ")
        )
    })
}

/// The rule id closest to `id` in edit distance, ignoring case and `_`/`-` differences.
pub fn nearest_rule(id: &str) -> RuleId {
    let normalized = id.to_ascii_lowercase().replace('_', "-");
    RuleId::ALL
        .into_iter()
        .min_by_key(|rule| edit_distance(&normalized, rule.as_str()))
        .unwrap_or(RuleId::GuardAcrossAwait)
}

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

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_rule() {
        assert_eq!(
            nearest_rule("guard-accross-await"),
            RuleId::GuardAcrossAwait
        );
        assert_eq!(nearest_rule("DOUBLE_LOCK"), RuleId::DoubleLock);
        assert_eq!(nearest_rule("read-write"), RuleId::ReadThenWrite);
        let error = parse_rule_id("guard-across-wait").unwrap_err();
        assert!(
            error.contains("did you mean `guard-across-await`?"),
            "{error}"
        );
        assert_eq!(parse_rule_id("double-lock"), Ok(RuleId::DoubleLock));
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

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
