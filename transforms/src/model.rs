//! The data every transform produces and every front end consumes.
//!
//! Offsets are byte offsets into the analysed source text; front ends turn them into 1-based lines
//! and columns. Nothing here knows about files or terminals.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// How bad a finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, never fixed automatically (a guard held on purpose).
    Info,
    /// Likely a bug or a contention problem.
    Warning,
    /// A hang, a starvation or a blocked executor thread.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Whether a fix may be applied without the user opting in to `--unsafe-fixes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Only code that no longer uses the guard moves out of the locked region.
    Safe,
    /// The rewrite reorders side effects, clones data (the copy may be stale) or cannot prove that
    /// the result still compiles.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace `range` of the source with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: Range<usize>,
    pub replacement: String,
}

/// A rewrite that resolves one finding. Its edits never overlap each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Imperative, shown in the diff header and the interactive prompt.
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<TextEdit>,
}

impl Fix {
    /// The smallest range covering every edit: two fixes whose spans overlap are never applied in
    /// the same pass.
    pub fn span(&self) -> Range<usize> {
        let start = self.edits.iter().map(|e| e.range.start).min().unwrap_or(0);
        let end = self.edits.iter().map(|e| e.range.end).max().unwrap_or(0);
        start..end
    }
}

/// A secondary location shown under the primary one ("`.await` here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub range: Range<usize>,
    pub message: String,
}

/// One reported problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// Where the guard is acquired: the primary location.
    pub range: Range<usize>,
    pub message: String,
    pub labels: Vec<Label>,
    /// What to do about it, in one sentence; also says why a fix was not offered.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Which layer decided the lock facts this finding rests on.
    pub tier: crate::analysis::Tier,
}

/// Stable rule identifiers: users, CI scripts and configuration refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    GuardAcrossAwait,
    ReadThenWrite,
    GuardInScrutinee,
    GuardAcrossBlocking,
    EmitUnderLock,
    DoubleLock,
    StdLockInAsync,
    LockOrderInversion,
}

impl RuleId {
    pub const ALL: [RuleId; 8] = [
        RuleId::GuardAcrossAwait,
        RuleId::ReadThenWrite,
        RuleId::GuardInScrutinee,
        RuleId::GuardAcrossBlocking,
        RuleId::EmitUnderLock,
        RuleId::DoubleLock,
        RuleId::StdLockInAsync,
        RuleId::LockOrderInversion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::GuardAcrossAwait => "guard-across-await",
            RuleId::ReadThenWrite => "read-then-write",
            RuleId::GuardInScrutinee => "guard-in-scrutinee",
            RuleId::GuardAcrossBlocking => "guard-across-blocking",
            RuleId::EmitUnderLock => "emit-under-lock",
            RuleId::DoubleLock => "double-lock",
            RuleId::StdLockInAsync => "std-lock-in-async",
            RuleId::LockOrderInversion => "lock-order-inversion",
        }
    }

    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The documentation of a rule, written once in the transform's file and printed by `--explain`,
/// `--list-rules` and the README table.
#[derive(Debug, Clone, Copy)]
pub struct RuleDoc {
    pub id: RuleId,
    /// One line for tables.
    pub summary: &'static str,
    /// Markdown: What it does / Why is this bad / Example / Use instead / Fix safety / Known problems.
    pub explanation: &'static str,
}
