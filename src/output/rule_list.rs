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

/// The man page's sections after clap's: the rules, the configuration and the exit status, in
/// roff.
pub fn man_page_sections() -> String {
    let docs = rule_docs();
    let mut roff = String::from(".SH RULES\n");
    for rule in RuleId::ALL {
        let summary = docs
            .iter()
            .find(|doc| doc.id == rule)
            .map_or("(not implemented in this version)", |doc| doc.summary);
        roff.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_escape(rule.as_str()),
            roff_escape(summary)
        ));
    }
    roff.push_str(&format!(
        ".PP\n{}\n",
        roff_escape("lockfix --explain RULE prints a rule's full documentation.")
    ));
    roff.push_str(".SH CONFIGURATION\n");
    for line in CONFIGURATION.lines() {
        roff.push_str(&roff_escape(line));
        roff.push('\n');
    }
    roff.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in [
        (
            "0",
            "Nothing found, or everything fixed (info findings do not count).",
        ),
        (
            "1",
            "Findings remain, or strict suppressions failed (0 with --exit-zero).",
        ),
        (
            "2",
            "Usage or internal error, a refused or failed write, a path that could not be \
             checked, or no Rust file found.",
        ),
    ] {
        roff.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)));
    }
    roff
}

const CONFIGURATION: &str = "\
lockfix.toml or .lockfix.toml (or [workspace.metadata.lockfix] / [package.metadata.lockfix] in \
Cargo.toml), found from each scanned file's directory upwards; --config FILE uses one file for \
every file. Keys: select, ignore, unsafe-fixes, strict-suppressions, extra-blocking-functions, \
extra-event-emitters, extra-lock-types, extend-exclude and the [per-path-ignores] table \
(glob = [rules]). Command-line flags override the file; --show-settings prints the effective \
settings.";

/// Text as roff shows it: backslashes and hyphens escaped, and no line taken for a request.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
