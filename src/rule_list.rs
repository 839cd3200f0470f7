//! `--list-rules`: every rule id, whether this build implements it, and its one-line summary,
//! from the same docs `--explain` and the README table use.

use std::io::{self, Write};

use lockfix_transforms::{RuleId, rule_docs};

pub fn write_rule_list(out: &mut dyn Write) -> io::Result<()> {
    let docs = rule_docs();
    let width = RuleId::ALL
        .iter()
        .map(|rule| rule.as_str().len())
        .max()
        .unwrap_or(0);
    for rule in RuleId::ALL {
        let summary = docs
            .iter()
            .find(|doc| doc.id == rule)
            .map_or("(not implemented in this version)", |doc| doc.summary);
        writeln!(out, "{:<width$}  {summary}", rule.as_str())?;
    }
    Ok(())
}
