//! `--baseline FILE` / `--update-baseline`: record today's findings and from then on report only
//! new ones, so a CI gate can be turned on in a codebase that has findings.
//!
//! A finding is keyed by what survives unrelated edits: its file (as reported, relative to the
//! current directory), the path of the function it is in, its lock expression and its rule — not
//! its line. Each key carries a count, so a second identical finding in the same function is new.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use lockfix_transforms::Edition;
use lockfix_transforms::baseline_key::finding_keys;
use serde::{Deserialize, Serialize};

use crate::report::Report;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub path: String,
    pub function: String,
    pub lock: String,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: Key,
    count: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

fn keys_of(report: &Report) -> Vec<Vec<Key>> {
    report
        .files
        .iter()
        .map(|file| {
            // Function and expression names do not depend on the edition.
            finding_keys(&file.text, Edition::CURRENT, &file.findings)
                .into_iter()
                .zip(&file.findings)
                .map(|((function, lock), finding)| Key {
                    path: file.path.clone(),
                    function,
                    lock,
                    rule: finding.rule.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Writes every finding of `report` to `path`; returns how many.
pub fn write(path: &Path, report: &Report) -> Result<usize, String> {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for key in keys_of(report).into_iter().flatten() {
        *counts.entry(key).or_default() += 1;
    }
    let total = counts.values().sum();
    let file = BaselineFile {
        version: 1,
        findings: counts
            .into_iter()
            .map(|(key, count)| Entry { key, count })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|error| error.to_string())?;
    fs::write(path, text + "\n")
        .map_err(|error| format!("cannot write the baseline {}: {error}", path.display()))?;
    Ok(total)
}

/// Removes from `report` the findings `path` records; returns how many were removed.
pub fn filter(path: &Path, report: &mut Report) -> Result<usize, String> {
    let text = fs::read_to_string(path).map_err(|error| {
        format!(
            "cannot read the baseline {}: {error} (create it with --update-baseline)",
            path.display()
        )
    })?;
    let file: BaselineFile = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not a lockfix baseline: {error}", path.display()))?;
    let mut remaining: BTreeMap<Key, usize> = file
        .findings
        .into_iter()
        .map(|entry| (entry.key, entry.count))
        .collect();
    let mut removed = 0;
    let keys = keys_of(report);
    for (file, keys) in report.files.iter_mut().zip(keys) {
        let mut keys = keys.into_iter();
        file.findings.retain(|_| {
            let Some(key) = keys.next() else {
                return true;
            };
            match remaining.get_mut(&key) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    removed += 1;
                    false
                }
                _ => true,
            }
        });
    }
    Ok(removed)
}
