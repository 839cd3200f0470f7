//! `--statistics`: how many findings of each rule, and how many of them the current policy fixes,
//! most frequent first (as `ruff check --statistics` prints them).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use lockfix_transforms::RuleId;
use serde::Serialize;

use crate::report::{Fixability, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RuleCount {
    pub findings: usize,
    /// Fixed by the current settings.
    pub fixable: usize,
    /// With an unsafe fix the current settings leave out (fixable with `--unsafe-fixes`).
    pub unsafe_fixable: usize,
}

pub fn counts(report: &Report) -> Vec<(RuleId, RuleCount)> {
    let mut counts: BTreeMap<RuleId, RuleCount> = BTreeMap::new();
    for (file, finding) in report.findings() {
        let count = counts.entry(finding.rule).or_default();
        count.findings += 1;
        match file.fixability(finding) {
            Fixability::Fixable => count.fixable += 1,
            Fixability::WithUnsafeFixes => count.unsafe_fixable += 1,
            Fixability::No => {}
        }
    }
    let mut counts: Vec<(RuleId, RuleCount)> = counts.into_iter().collect();
    // Stable: ties keep the rule order.
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(count.findings));
    counts
}

/// The phases of the run and how long each took; `total` is the whole command, so the time no
/// phase accounts for (reading configuration, printing) shows as its own line and the lines add
/// up to the total.
pub fn timing_lines(report: &Report, total: Duration) -> Vec<(String, Duration)> {
    let mut lines: Vec<(String, Duration)> = report
        .timings
        .iter()
        .map(|(phase, duration)| ((*phase).to_owned(), *duration))
        .collect();
    let accounted: Duration = lines.iter().map(|(_, duration)| *duration).sum();
    lines.push((
        "everything else (settings, output)".to_owned(),
        total.saturating_sub(accounted),
    ));
    lines.push(("total".to_owned(), total));
    lines
}

pub fn write_statistics(out: &mut dyn Write, report: &Report, total: Duration) -> io::Result<()> {
    for (rule, count) in counts(report) {
        let unsafe_note = if count.unsafe_fixable > 0 {
            format!(" ({} with --unsafe-fixes)", count.unsafe_fixable)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{:>5}  {:<22}  {} fixable{unsafe_note}",
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
    for manifest in &report.semantic_remembered {
        writeln!(
            out,
            "semantic tier: answers for {manifest} remembered from an earlier run over the same sources"
        )?;
    }
    for (phase, duration) in timing_lines(report, total) {
        writeln!(out, "time: {phase}: {:.2} s", duration.as_secs_f64())?;
    }
    Ok(())
}
