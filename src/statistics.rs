//! `--statistics`: how many findings of each rule, and how many of them the current policy fixes,
//! most frequent first (as `ruff check --statistics` prints them).

use std::collections::BTreeMap;
use std::io::{self, Write};

use lockfix_transforms::{Applicability, RuleId};

use crate::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleCount {
    pub findings: usize,
    pub fixable: usize,
}

pub fn counts(report: &Report) -> Vec<(RuleId, RuleCount)> {
    let mut counts: BTreeMap<RuleId, RuleCount> = BTreeMap::new();
    for (_, finding) in report.findings() {
        let count = counts.entry(finding.rule).or_default();
        count.findings += 1;
        let fixable = match finding.fix.as_ref().map(|fix| fix.applicability) {
            Some(Applicability::Safe) => true,
            Some(Applicability::Unsafe) => report.unsafe_fixes,
            None => false,
        };
        count.fixable += usize::from(fixable);
    }
    let mut counts: Vec<(RuleId, RuleCount)> = counts.into_iter().collect();
    // Stable: ties keep the rule order.
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(count.findings));
    counts
}

pub fn write_statistics(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for (rule, count) in counts(report) {
        writeln!(
            out,
            "{:>5}  {:<22}  {} fixable",
            count.findings,
            rule.as_str(),
            count.fixable
        )?;
    }
    // What the semantic tier cost, workspace by workspace: users who wonder where the time went.
    for (manifest, duration) in &report.semantic_loads {
        writeln!(
            out,
            "semantic tier: loaded {manifest} in {:.2} s",
            duration.as_secs_f64()
        )?;
    }
    Ok(())
}
