//! The transforms, one per file. Adding one means: its id, its file (docs, detection, fix, unit
//! tests), an entry in [`REGISTRY`], a fixture folder and its snapshots — CONTRIBUTING.md lists
//! the steps and what the tidy test checks.

pub mod double_lock;
pub mod emit_under_lock;
pub mod guard_across_await;
pub mod guard_across_blocking;
pub mod guard_in_scrutinee;
pub mod lock_order_inversion;
pub mod read_then_write;
pub mod std_lock_in_async;

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use ra_ap_syntax::{Edition, SyntaxNode};

use crate::analysis::LockScopes;
use crate::model::{Finding, RuleDoc};

/// What every transform reads: the file and the analysis computed once for all of them.
pub struct Context<'a> {
    pub text: &'a str,
    pub file: &'a SyntaxNode,
    pub edition: Edition,
    pub scopes: &'a LockScopes,
    /// What the semantic tier resolved about this file, when it ran.
    pub facts: Option<&'a crate::analysis::SemanticFacts>,
    /// Configured additions to the blocking and emitter lists.
    pub extra: crate::analysis::effects::Extra,
    /// What one rule decides and others defer to, computed at most once per file.
    pub(crate) shared: Shared,
}

/// Results of one rule that other rules consult to leave its cases to it: guard-across-await's
/// findings (the blocking and emission rules do not report an await it already reports),
/// double-lock's clusters (emit-under-lock leaves held-together guards to the phase split) and
/// guard-across-blocking's relock splits (likewise).
#[derive(Default)]
pub(crate) struct Shared {
    await_findings: OnceCell<Vec<Finding>>,
    double_lock_clusters: OnceCell<Vec<double_lock::Cluster>>,
    /// guard-across-blocking's relock split per guard (emit-under-lock leaves such guards to it).
    relock_fixes: RefCell<HashMap<usize, Result<crate::model::Fix, String>>>,
}

impl Context<'_> {
    pub(crate) fn await_findings(&self) -> &[Finding] {
        self.shared
            .await_findings
            .get_or_init(|| guard_across_await::detect(self))
    }

    /// Indices of the guards double-lock's phase split releases: rules that fix one guard at a
    /// time leave them to it.
    pub(crate) fn phase_split_guards(&self) -> Vec<usize> {
        self.double_lock_clusters()
            .iter()
            .flat_map(|(cluster, _)| cluster.iter().copied())
            .collect()
    }

    pub(crate) fn double_lock_clusters(&self) -> &[double_lock::Cluster] {
        self.shared
            .double_lock_clusters
            .get_or_init(|| double_lock::reported_clusters(self))
    }
}

/// A transform: documentation plus a check that reports findings, each with an optional fix.
pub struct Transform {
    pub doc: RuleDoc,
    pub check: fn(&Context<'_>, &mut Vec<Finding>),
}

/// Every transform this build implements, in the order their findings are reported.
pub const REGISTRY: &[Transform] = &[
    Transform {
        doc: guard_across_await::DOC,
        check: guard_across_await::check,
    },
    Transform {
        doc: read_then_write::DOC,
        check: read_then_write::check,
    },
    Transform {
        doc: guard_in_scrutinee::DOC,
        check: guard_in_scrutinee::check,
    },
    Transform {
        doc: guard_across_blocking::DOC,
        check: guard_across_blocking::check,
    },
    Transform {
        doc: emit_under_lock::DOC,
        check: emit_under_lock::check,
    },
    Transform {
        doc: double_lock::DOC,
        check: double_lock::check,
    },
    Transform {
        doc: std_lock_in_async::DOC,
        check: std_lock_in_async::check,
    },
    Transform {
        doc: lock_order_inversion::DOC,
        check: lock_order_inversion::check,
    },
];
