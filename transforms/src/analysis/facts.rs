//! What the semantic tier (rust-analyzer, in the `lockfix-semantic` crate) found out about a file,
//! in a form the syntax analysis can consult without knowing rust-analyzer.
//!
//! Facts are keyed by text, not offsets: the enclosing function's name and the receiver's compact
//! text. Fixes rewrite the file between passes of the fix loop; a text key still finds its fact
//! after a fix moved the code around, where an offset would point at something else.

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasArgList, HasName},
};

use super::crate_index::FileSummary;
use serde::{Deserialize, Serialize};

use super::{AccessMode, LockKind, LockScopes, syntax};
use crate::model::{Finding, Severity};

/// Which layer decided a finding's lock facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Names, imports and usage shapes in the one file.
    #[default]
    Syntax,
    /// Types resolved by rust-analyzer across the crate and its dependencies.
    Semantic,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Syntax => "syntax",
            Tier::Semantic => "semantic",
        }
    }
}

/// `(enclosing function name, receiver or callee text, method name)`. The function name is empty
/// outside functions (statics, consts).
pub type SiteKey = (String, String, String);

/// The key of a method call: both tiers compute it with this one function.
pub fn site_key(call: &ast::MethodCallExpr) -> Option<SiteKey> {
    let function = enclosing_function_name(call.syntax());
    let receiver = syntax::compact_text(call.receiver()?.syntax());
    let method = call.name_ref()?.text().to_string();
    Some((function, receiver, method))
}

/// The name of the function around `node`, empty outside functions.
fn enclosing_function_name(node: &SyntaxNode) -> String {
    node.ancestors()
        .find_map(ast::Fn::cast)
        .and_then(|f| f.name())
        .map(|n| n.text().to_string())
        .unwrap_or_default()
}

/// The key of a value's type fact: `(function, expression text, "value")`. Values of the same
/// text in one function share it (and must agree, else neither has a fact).
pub fn value_key(expr: &ast::Expr) -> SiteKey {
    (
        enclosing_function_name(expr.syntax()),
        syntax::compact_text(expr.syntax()),
        "value".to_string(),
    )
}

/// Whether rust-analyzer could change what the syntax tier concluded about this file: a finding
/// outside test code whose lock kind no declaration names (an unknown lock, or std's guessed from
/// `lock().unwrap()`: the semantic tier confirms, changes or refutes it), a lock-named call in
/// async code whose lock the syntax tier could not classify (`state.cache.read()` with the field
/// declared in another module), or a function returning a guard type of a kind no import names
/// (callers elsewhere hold it; the crate index tells the crate's other files about the kinds it
/// can name).
///
/// A finding whose kind a declaration names is not a doubt: rust-analyzer would read the same
/// declaration. Findings in test code are information only, not worth seconds of type
/// inference. The std→tokio swap loads its workspace itself ([`crate::fixes::lock_swap`]).
pub fn worth_resolving(
    file: &SyntaxNode,
    scopes: &LockScopes,
    summary: &FileSummary,
    findings: &[Finding],
) -> Doubts {
    let for_callers = helps_callers(file, summary);
    Doubts {
        any: for_callers || doubts_here(file, scopes, findings),
        for_callers,
    }
}

/// What [`worth_resolving`] found.
pub struct Doubts {
    /// rust-analyzer could change something the syntax tier concluded about this file.
    pub any: bool,
    /// Part of it is for the files that call this one ([`helps_callers`]).
    pub for_callers: bool,
}

/// A function of the file returns a guard whose kind no import names: rust-analyzer's answer is
/// for the files that call it (their facts record the helper), not for this one.
fn helps_callers(file: &SyntaxNode, summary: &FileSummary) -> bool {
    super::file_index::with(file, |index| index.functions().to_vec())
        .iter()
        .any(|function| returns_a_guard_type(function) && !names_the_kind(summary, function))
}

/// The doubts of [`worth_resolving`] that this file's own facts settle.
fn doubts_here(file: &SyntaxNode, scopes: &LockScopes, findings: &[Finding]) -> bool {
    let acquisitions = Acquisitions::of(scopes);
    if findings
        .iter()
        .any(|finding| finding.severity != Severity::Info && acquisitions.rest_on_a_guess(finding))
    {
        return true;
    }
    let classified: HashSet<TextRange> = scopes
        .guards
        .iter()
        .filter(|g| !g.kind.is_unknown())
        .map(|g| g.call.syntax().text_range())
        .collect();
    let classified = |call: &ast::MethodCallExpr| classified.contains(&call.syntax().text_range());
    super::file_index::with(file, |index| index.method_calls().to_vec())
        .iter()
        .any(|call| {
            call.name_ref()
                .is_some_and(|n| super::lock_method_mode(n.text()).is_some())
                && call.arg_list().is_some_and(|a| a.args().next().is_none())
                && !classified(call)
                && held_across_await_if_a_lock(call)
        })
}

/// The guards' acquisitions sorted by where they start, to find those a finding overlaps without
/// comparing every finding with every guard (a generated file has thousands of both).
struct Acquisitions {
    /// `(start, end, kind guessed by the syntax tier)`.
    sorted: Vec<(usize, usize, bool)>,
    longest: usize,
}

impl Acquisitions {
    fn of(scopes: &LockScopes) -> Acquisitions {
        let mut sorted: Vec<(usize, usize, bool)> = scopes
            .guards
            .iter()
            .map(|g| {
                let range = g.primary_range();
                let guessed = g.tier == Tier::Syntax && g.kind_guessed;
                (range.start().into(), range.end().into(), guessed)
            })
            .collect();
        sorted.sort_unstable();
        let longest = sorted.iter().map(|(s, e, _)| e - s).max().unwrap_or(0);
        Acquisitions { sorted, longest }
    }

    /// Whether a guard the finding is about (its acquisition overlaps the finding) has a kind
    /// the syntax tier guessed; a finding that overlaps no acquisition is a doubt too.
    fn rest_on_a_guess(&self, finding: &Finding) -> bool {
        let from = self
            .sorted
            .partition_point(|(start, ..)| *start + self.longest < finding.range.start);
        let mut overlapping = self.sorted[from..]
            .iter()
            .take_while(|(start, ..)| *start < finding.range.end)
            .filter(|(_, end, _)| finding.range.start < *end)
            .peekable();
        overlapping.peek().is_none() || overlapping.any(|(.., guessed)| *guessed)
    }
}

/// The crate index's summary of the file knows the kind of the guard `function` returns.
fn names_the_kind(summary: &FileSummary, function: &ast::Fn) -> bool {
    let Some(name) = function.name() else {
        return false;
    };
    summary.methods.iter().any(|method| {
        method.name == name.text()
            && method
                .returns
                .as_ref()
                .is_some_and(|(guard, _)| !guard.kind.is_unknown())
    })
}

/// `fn state(&self) -> MutexGuard<'_, State>`: a helper whose callers hold a guard. A lock's own
/// `lock()`/`read()`/`write()` and the methods of a lock implementation (`RwLock::
/// try_upgradable_read`, `RwLockWriteGuard::downgrade` in async-lock) are not helpers: what
/// rust-analyzer would say of their callers is what the lock's own methods say.
fn returns_a_guard_type(function: &ast::Fn) -> bool {
    let owner = super::crate_index::impl_type_name(function.syntax());
    let of_a_lock = function
        .name()
        .is_some_and(|n| super::kind::is_lock_implementation(n.text(), owner.as_deref()));
    !of_a_lock
        && function
            .ret_type()
            .is_some_and(|t| t.syntax().text().to_string().contains("Guard<"))
}

/// `let cache = state.cache.read();` followed, in the same block of an async body, by an `.await`:
/// were `read()` a lock, the syntax tier would report it, so its kind is worth resolving.
fn held_across_await_if_a_lock(call: &ast::MethodCallExpr) -> bool {
    let Some(body) = syntax::enclosing_body(call.syntax()) else {
        return false;
    };
    if !syntax::body_is_async(&body) {
        return false;
    }
    let Some(stmt) = call.syntax().parent().and_then(ast::LetStmt::cast) else {
        return false;
    };
    let Some(list) = stmt.syntax().parent() else {
        return false;
    };
    let after = stmt.syntax().text_range().end();
    list.descendants()
        .filter_map(ast::AwaitExpr::cast)
        .any(|a| {
            a.syntax().text_range().start() >= after
                && syntax::enclosing_body(a.syntax()).as_ref() == Some(&body)
        })
}

/// What the receiver of a `lock()`/`read()`/`write()`-named call really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiverFact {
    Lock(LockKind),
    /// A type with a method of that name that is no lock (`reader.read()`, a `Registry::lock()`).
    NotALock,
}

/// A lock that a method takes in its own body, when the method is defined in another file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalleeLock {
    /// `self.<field>`: the same identity the caller's guard has when it locks that field.
    pub identity: String,
    pub mode: AccessMode,
    pub kind: LockKind,
    /// The acquiring method (`read`).
    pub method: String,
    /// `path:line` of the acquisition in the callee, for messages.
    pub location: String,
    /// The callee is an `async fn`: calling it takes nothing until the future is awaited.
    pub callee_async: bool,
}

/// A method whose return value is a guard (`fn state(&self) -> MutexGuard<'_, State>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardHelper {
    pub kind: LockKind,
    pub mode: AccessMode,
}

/// Everything the semantic tier knows about one file. Serialisable, for the answers the front end
/// remembers on disk (maps as lists of pairs: their keys are tuples).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemanticFacts {
    /// Keyed by `(function, receiver text, method)` of each lock-named no-argument method call.
    #[serde(with = "pairs")]
    pub receivers: HashMap<SiteKey, ReceiverFact>,
    /// Keyed by `(function, receiver text, method)` of calls whose result is a guard.
    #[serde(with = "pairs")]
    pub guard_helpers: HashMap<SiteKey, GuardHelper>,
    /// Keyed by `(function, "self", method)`: locks the awaited or called method `self.method()`
    /// takes in its body, when that body is in another file.
    #[serde(with = "pairs")]
    pub callee_locks: HashMap<SiteKey, Vec<CalleeLock>>,
    /// Keyed by [`value_key`]: in a function that takes a lock, whether a value's type can hold
    /// no borrow (no reference, no lifetime parameter, no guard in it: it may leave a lock
    /// scope) or may hold one. The ownership proof of extracted values asks it first.
    #[serde(with = "pairs")]
    pub owned_values: HashMap<SiteKey, bool>,
    /// Keys whose sites disagreed (shadowing, two closures with different locks): left to the
    /// syntax tier.
    conflicts: HashSet<SiteKey>,
}

impl SemanticFacts {
    pub fn is_empty(&self) -> bool {
        self.receivers.is_empty()
            && self.guard_helpers.is_empty()
            && self.callee_locks.is_empty()
            && self.owned_values.is_empty()
    }

    pub fn record_receiver(&mut self, key: SiteKey, fact: ReceiverFact) {
        record_agreeing(&mut self.receivers, &mut self.conflicts, key, fact);
    }

    pub fn record_guard_helper(&mut self, key: SiteKey, helper: GuardHelper) {
        record_agreeing(&mut self.guard_helpers, &mut self.conflicts, key, helper);
    }

    pub fn record_value_ownership(&mut self, key: SiteKey, owned: bool) {
        record_agreeing(&mut self.owned_values, &mut self.conflicts, key, owned);
    }

    /// Whether the value of `expr` is owned by its type (`None`: not known).
    pub fn value_owned(&self, expr: &ast::Expr) -> Option<bool> {
        if self.owned_values.is_empty() {
            return None;
        }
        self.owned_values.get(&value_key(expr)).copied()
    }
}

/// A map as a list of `(key, value)` pairs.
mod pairs {
    use std::collections::HashMap;
    use std::hash::Hash;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &HashMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, D, K, V>(deserializer: D) -> Result<HashMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|pairs| pairs.into_iter().collect())
    }
}

/// Sites that share a key must agree; after one conflict the key has no fact.
fn record_agreeing<V: PartialEq>(
    map: &mut HashMap<SiteKey, V>,
    conflicts: &mut HashSet<SiteKey>,
    key: SiteKey,
    value: V,
) {
    if conflicts.contains(&key) {
        return;
    }
    match map.get(&key) {
        None => {
            map.insert(key, value);
        }
        Some(existing) if *existing == value => {}
        Some(_) => {
            map.remove(&key);
            conflicts.insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disagreeing_sites_leave_the_key_to_the_syntax_tier() {
        let key: SiteKey = ("f".into(), "self.m".into(), "lock".into());
        let mut facts = SemanticFacts::default();
        facts.record_receiver(key.clone(), ReceiverFact::Lock(LockKind::Std));
        facts.record_receiver(key.clone(), ReceiverFact::Lock(LockKind::Std));
        assert_eq!(
            facts.receivers.get(&key),
            Some(&ReceiverFact::Lock(LockKind::Std))
        );
        facts.record_receiver(key.clone(), ReceiverFact::NotALock);
        facts.record_receiver(key.clone(), ReceiverFact::Lock(LockKind::Std));
        assert_eq!(facts.receivers.get(&key), None);
    }
}
