//! What the other files of a crate say about the methods a file calls, without rust-analyzer.
//!
//! Real lock bugs often span two files: a getter in `stats.rs` returns a guard
//! (`fn input_status(&self) -> ShardedLockReadGuard<..> { self.inputs.read().unwrap() }`) and a
//! loop in `mod.rs` holds it while calling another method of the same struct that reads `inputs`
//! again. One file shows neither the guard nor the relock. Each file's analysis therefore leaves a
//! [`FileSummary`] of its structs and of its methods' locks; the front end merges the summaries of
//! one package into a [`CrateIndex`] and analyses again, with the index, the files that call one of
//! its methods.
//!
//! Methods are keyed by the name of the type their `impl` block is for and their own name, and a
//! call is resolved through the receiver's declared type (`controller.status` → the `status` field
//! of `ControllerInner` → `ControllerStatus`): a method of the same name on another type is never
//! taken for it. Names declared twice in a crate (two structs `Inner` in two modules) resolve to
//! nothing.
//!
//! The parts: `summary` reads one analysed file into its [`FileSummary`]; the [`CrateIndex`]
//! (here) merges the summaries of one package and answers, for a type and a method name, what
//! calling it locks or returns; `type_names` finds the struct a receiver is, through this file's
//! declarations and the index; `text` reads what the front end needs from files the first look did
//! not parse (struct and function names, whether a function blocks) without parsing them whole.

mod summary;
mod text;
mod type_names;

use std::collections::{HashMap, HashSet};

use super::effects::{Blocking, CallPattern};
use super::facts::CalleeLock;
use super::hand_offs::{HandOff, HandedLock};
use super::kind::GuardType;

pub use summary::{
    FileSummary, MethodSummary, TakenLock, is_common_name, returns_owned_in_text, value_param,
};
pub use text::{
    DeclarationFinder, function_at_blocks, function_names_in_text, function_text_may_block,
    struct_names_in_text, types_in_text,
};
pub use type_names::{impl_type_name, owner_type_name};

/// A method of the index with the file it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    method: MethodSummary,
    path: String,
}

/// The merged summaries of one crate's files.
#[derive(Debug, Default)]
pub struct CrateIndex {
    /// `None` for a name declared twice: neither declaration is known to be the one meant.
    structs: HashMap<String, Option<HashMap<String, Vec<String>>>>,
    methods: HashMap<(String, String), Option<Entry>>,
    /// Function name → whether every declaration of it in the crate returns owned data.
    returns_owned: HashMap<String, bool>,
    /// Function name → the blocking work its body does, when the crate declares it exactly once
    /// and that declaration blocks (`None`: declared twice, or it does not block).
    blocking_functions: HashMap<String, Option<&'static CallPattern<Blocking>>>,
    /// Hand-offs of the package's files that end in an acquisition of what was handed.
    handed_locks: HashMap<HandOff, HandedLock>,
    /// Struct and enum name → whether it is `Clone`: `true` only for a name the crate declares
    /// once, deriving or implementing `Clone` in the same file.
    clone_types: HashMap<String, bool>,
}

/// The owner under which a free function is indexed: its module, after a prefix no type name
/// has.
const FREE_OWNER: &str = "mod ";

fn free_function_owner(module: &str) -> String {
    format!("{FREE_OWNER}{module}")
}

/// The module a file is, as a path names it: its stem, or its folder's name for `mod.rs`
/// (`src/data.rs` and `src/data/mod.rs` are `data`).
fn module_of(path: &str) -> String {
    let path = std::path::Path::new(path);
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|s| s.to_str());
    match folder {
        Some(folder) if stem == "mod" => folder.to_string(),
        _ => stem.to_string(),
    }
}

/// How many calls deep a lock is followed through methods of `self`.
const MAX_DEPTH: usize = 3;

impl CrateIndex {
    /// From `(display path, summary)` of every analysed file of one crate.
    pub fn build<'a>(files: impl IntoIterator<Item = (&'a str, &'a FileSummary)>) -> CrateIndex {
        let mut index = CrateIndex::default();
        for (path, summary) in files {
            for (name, fields) in &summary.structs {
                index
                    .structs
                    .entry(name.clone())
                    .and_modify(|known| *known = None)
                    .or_insert_with(|| Some(fields.clone()));
            }
            index.add_returns(&summary.returns_owned);
            index.add_types(summary.types.iter().cloned());
            for method in &summary.methods {
                let entry = Entry {
                    method: method.clone(),
                    path: path.to_string(),
                };
                // A free function is known by its module (`data` for `src/data.rs`), as its
                // calls name it (`data::get()`).
                let owner = if method.owner.is_empty() {
                    free_function_owner(&module_of(path))
                } else {
                    method.owner.clone()
                };
                index
                    .methods
                    .entry((owner, method.name.clone()))
                    .and_modify(|known| *known = None)
                    .or_insert(Some(entry));
            }
        }
        index
    }

    /// Adds what files say about their functions' return types ([`FileSummary::returns_owned`]).
    pub fn add_returns<'a>(&mut self, returns: impl IntoIterator<Item = &'a (String, bool)>) {
        for (name, owned) in returns {
            *self.returns_owned.entry(name.clone()).or_insert(true) &= *owned;
        }
    }

    /// Adds what files say about the functions called under guards ([`function_at_blocks`]).
    pub fn add_blocking_functions(
        &mut self,
        found: impl IntoIterator<Item = (String, Option<&'static CallPattern<Blocking>>)>,
    ) {
        for (name, blocks) in found {
            self.blocking_functions
                .entry(name)
                .and_modify(|known| *known = None)
                .or_insert(blocks);
        }
    }

    /// Adds the hand-offs the front end followed to an acquisition ([`super::hand_offs::resolve`]).
    pub fn add_handed_locks(&mut self, found: HashMap<HandOff, HandedLock>) {
        self.handed_locks.extend(found);
    }

    /// Where the function a hand-off names locks what it was handed, if it does.
    pub fn handed_lock(&self, hand_off: &HandOff) -> Option<&HandedLock> {
        self.handed_locks.get(hand_off)
    }

    /// Whether some of `hand_offs` end in an acquisition.
    pub fn locks_some_hand_off(&self, hand_offs: &[HandOff]) -> bool {
        hand_offs.iter().any(|h| self.handed_locks.contains_key(h))
    }

    /// The blocking work the crate's one function `name` does in its body.
    pub fn blocking_function(&self, name: &str) -> Option<&'static CallPattern<Blocking>> {
        self.blocking_functions.get(name).copied().flatten()
    }

    /// Whether some name in `names` is a blocking function of the crate.
    pub fn calls_blocking_function(&self, names: &[String]) -> bool {
        names.iter().any(|n| self.blocking_function(n).is_some())
    }

    /// Whether every function `name` of the crate returns owned data; `None` when the crate
    /// declares none (or the front end did not ask about it).
    pub fn returns_owned(&self, name: &str) -> Option<bool> {
        self.returns_owned.get(name).copied()
    }

    /// Struct names declared in files that left no summary (the front end did not parse them: no
    /// lock in them). Such a name declared there too is ambiguous, as a name declared twice is.
    pub fn add_unsummarised_structs(&mut self, names: impl IntoIterator<Item = String>) {
        for name in names {
            self.structs
                .entry(name)
                .and_modify(|known| *known = None)
                .or_insert(None);
        }
    }

    /// Adds structs and enums the crate declares, with whether each is `Clone`
    /// ([`FileSummary::types`], [`types_in_text`] for files the first look did not parse). A
    /// name declared twice is not known to be `Clone`.
    pub fn add_types(&mut self, types: impl IntoIterator<Item = (String, bool)>) {
        for (name, clone) in types {
            self.clone_types
                .entry(name)
                .and_modify(|known| *known = false)
                .or_insert(clone);
        }
    }

    /// Whether the crate's one struct or enum named `name` derives or implements `Clone`.
    pub fn is_clone_type(&self, name: &str) -> bool {
        self.clone_types.get(name).copied().unwrap_or(false)
    }

    /// Which type parameter of `owner::name`, a guard-returning method, is the value behind the
    /// guard it returns ([`MethodSummary::value_param`]).
    pub fn guard_helper_value_param(&self, owner: &str, name: &str) -> Option<usize> {
        let entry = self.entry(owner, name)?;
        entry.method.returns.as_ref()?;
        entry.method.value_param
    }

    /// Whether any method of the crate locks or returns a guard: otherwise the index changes
    /// nothing.
    pub fn has_lock_facts(&self) -> bool {
        self.methods
            .values()
            .flatten()
            .any(|e| !e.method.locks.is_empty() || e.method.returns.is_some())
    }

    /// Names of the methods that return a guard: a call of one may be an acquisition.
    pub fn guard_helper_names(&self) -> HashSet<&str> {
        self.methods
            .iter()
            .filter(|((owner, name), _)| {
                !owner.starts_with(FREE_OWNER) && self.guard_helper(owner, name).is_some()
            })
            .map(|((_, name), _)| name.as_str())
            .collect()
    }

    /// The calls of free functions that return a guard, as the crate's files write them:
    /// `data::get(` for `pub fn get() -> RwLockWriteGuard<..>` in `src/data.rs`.
    pub fn free_guard_helper_calls(&self) -> Vec<String> {
        self.methods
            .iter()
            .filter(|(_, entry)| entry.as_ref().is_some_and(|e| e.method.returns.is_some()))
            .filter_map(|((owner, name), _)| {
                let module = owner.strip_prefix(FREE_OWNER)?;
                Some(format!("{module}::{name}("))
            })
            .collect()
    }

    /// The guard the free function `module::name` of the crate returns, when exactly one file
    /// of module `module` declares one of that name.
    pub fn free_guard_helper(&self, module: &str, name: &str) -> Option<GuardType> {
        let (guard, _) = self
            .entry(&free_function_owner(module), name)?
            .method
            .returns
            .as_ref()?;
        Some(*guard)
    }

    /// Whether some type of the crate has a method `name` that locks, in its body or through
    /// `self` calls: a call of it may lock again what a guard of the caller holds.
    pub fn is_locking_name(&self, name: &str) -> bool {
        self.methods
            .keys()
            .any(|(owner, n)| n == name && !self.locks_on_call(owner, n, true).is_empty())
    }

    /// The type names in the declaration of field `field` of the crate's struct `owner`.
    pub fn field_type_names(&self, owner: &str, field: &str) -> Option<&[String]> {
        self.structs
            .get(owner)?
            .as_ref()?
            .get(field)
            .map(Vec::as_slice)
    }

    /// The one name among `names` that is a struct of the crate.
    pub fn only_struct<'a>(&self, names: &'a [String]) -> Option<&'a str> {
        let mut structs = names
            .iter()
            .filter(|n| self.structs.get(*n).is_some_and(Option::is_some));
        let first = structs.next()?;
        structs.all(|n| n == first).then_some(first.as_str())
    }

    /// The guard `owner::name` returns and the `self.<field>` it locks for it.
    pub fn guard_helper(&self, owner: &str, name: &str) -> Option<(GuardType, Option<&str>)> {
        let entry = self.entry(owner, name)?;
        let (guard, field) = entry.method.returns.as_ref()?;
        Some((*guard, field.as_deref()))
    }

    /// Whether some type of the crate has a method `name` that returns a guard: such calls are
    /// acquisitions to look at.
    pub fn is_guard_helper_name(&self, name: &str) -> bool {
        self.methods.iter().any(|((owner, n), e)| {
            n == name
                && !owner.starts_with(FREE_OWNER)
                && e.as_ref().is_some_and(|e| e.method.returns.is_some())
        })
    }

    /// The locks of `self.<field>` that calling `owner::name` takes, in its body or up to
    /// [`MAX_DEPTH`] calls of `self` methods deeper. An `async fn` takes its locks when awaited:
    /// `awaited` says whether the call is.
    pub fn locks_on_call(&self, owner: &str, name: &str, awaited: bool) -> Vec<CalleeLock> {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut frontier = vec![(name.to_string(), awaited)];
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for (name, awaited) in frontier {
                let Some(entry) = self.entry(owner, &name) else {
                    continue;
                };
                let method = &entry.method;
                if (method.is_async && !awaited) || !seen.insert(name) {
                    continue;
                }
                found.extend(method.locks.iter().map(|lock| CalleeLock {
                    identity: lock.identity.clone(),
                    mode: lock.mode,
                    kind: lock.kind,
                    method: lock.method.clone(),
                    location: format!("{}:{}", entry.path, lock.line),
                    callee_async: method.is_async,
                }));
                next.extend(method.self_calls.iter().cloned());
            }
            frontier = next;
        }
        found
    }

    fn entry(&self, owner: &str, name: &str) -> Option<&Entry> {
        self.methods
            .get(&(owner.to_string(), name.to_string()))?
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Edition, Options, RuleId, analyze};

    /// `stats.rs`: a getter that returns the read guard of `inputs`, and a method that reads
    /// `inputs` again.
    pub(super) const STATS: &str = "
use std::sync::{RwLock, RwLockReadGuard};
use std::collections::BTreeMap;

pub struct Status {
    inputs: RwLock<BTreeMap<u64, bool>>,
}

impl Status {
    pub fn inputs(&self) -> RwLockReadGuard<'_, BTreeMap<u64, bool>> {
        self.inputs.read().unwrap()
    }

    pub fn paused(&self, id: &u64) -> bool {
        self.inputs.read().unwrap().get(id).copied().unwrap_or(false)
    }

    pub fn is_paused(&self, id: &u64) -> bool {
        self.paused(id)
    }
}
";

    /// `controller.rs`: holds the getter's guard through a loop that calls `paused`.
    const CONTROLLER: &str = "
use std::sync::Arc;

pub struct Controller {
    status: Arc<Status>,
}

pub fn backpressure(controller: Arc<Controller>) {
    for (id, _) in controller.status.inputs().iter() {
        if controller.status.is_paused(id) {
            println!(\"{id}\");
        }
    }
}
";

    pub(super) fn options(index: Option<Arc<CrateIndex>>) -> Options {
        Options {
            crate_index: index,
            ..Options::all_rules(Edition::Edition2021)
        }
    }

    fn index_of(files: &[(&str, &str)]) -> Arc<CrateIndex> {
        let summaries: Vec<(String, FileSummary)> = files
            .iter()
            .map(|(path, text)| (path.to_string(), analyze(text, &options(None)).summary))
            .collect();
        Arc::new(CrateIndex::build(
            summaries
                .iter()
                .map(|(path, summary)| (path.as_str(), summary)),
        ))
    }

    #[test]
    fn a_getter_in_another_file_and_a_relock_two_calls_deep_are_found_with_the_index() {
        let index = index_of(&[("src/stats.rs", STATS), ("src/controller.rs", CONTROLLER)]);
        assert!(analyze(CONTROLLER, &options(None)).findings.is_empty());
        let findings = analyze(CONTROLLER, &options(Some(index))).findings;
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, RuleId::ReadThenWrite);
        assert!(
            findings[0].labels[0].message.contains("src/stats.rs:15"),
            "{:?}",
            findings[0].labels
        );
    }

    const DB: &str = "\
pub trait Files {
    fn source(&self, uri: u32) -> Option<String>;
    fn parse(&self, uri: u32) -> Option<&str>;
}
";

    const SERVER: &str = "\
pub struct Server { state: tokio::sync::RwLock<Db> }
async fn format(_: &str) -> String { String::new() }
impl Server {
    pub async fn formatting(&self) -> Option<String> {
        let state = self.state.read().await;
        let source = state.source(1)?;
        Some(format(&source).await)
    }
    pub async fn publish(&self, client: &Client) {
        let state = self.state.read().await;
        let diags = {
            state.touch(1);
            match state.source(1) {
                Some(text) => text,
                None => String::new(),
            }
        };
        client.publish_diagnostics(diags).await;
    }
    pub async fn parsed(&self) -> Option<String> {
        let state = self.state.read().await;
        let tree = state.parse(1)?;
        Some(format(tree).await)
    }
}
";

    #[test]
    fn a_return_type_declared_in_another_file_says_whether_a_value_borrows_from_the_guard() {
        let first = analyze(SERVER, &options(None));
        // A name that decides nothing by itself would be asked as a method of the guarded type
        // too (`Db::get`); these the crate can answer by name.
        assert_eq!(first.summary.called_on_guards, ["parse", "source", "touch"]);
        let publish = |findings: &[crate::model::Finding]| {
            findings
                .iter()
                .find(|f| f.message.contains("publish"))
                .map(|f| f.fix.as_ref().map(|fix| fix.title.clone()))
        };
        // Without the index, what `publish` sends may borrow from the guard.
        assert_eq!(publish(&first.findings), None, "{:#?}", first.findings);
        let only_borrowed = |findings: &[crate::model::Finding]| {
            findings
                .iter()
                .filter(|f| f.message.contains("only needs data borrowed"))
                .count()
        };
        assert_eq!(only_borrowed(&first.findings), 3, "{:#?}", first.findings);
        let mut index = CrateIndex::default();
        let wanted: HashSet<&str> = ["source", "parse"].into();
        index.add_returns(&returns_owned_in_text(DB, &wanted));
        assert_eq!(index.returns_owned("source"), Some(true));
        assert_eq!(index.returns_owned("parse"), Some(false));
        let findings = analyze(SERVER, &options(Some(Arc::new(index)))).findings;
        // `source` hands over an owned `String`: the guard is idle at the await and released
        // before it; `parse` lends from the guard, as before.
        assert_eq!(only_borrowed(&findings), 1, "{findings:#?}");
        let idle = findings
            .iter()
            .find(|f| f.message.contains("after its last use"))
            .expect("the idle guard");
        assert!(idle.fix.is_some(), "{idle:#?}");
        // The awaited publish gets the maintainers' one line, `drop(state)` after `diags`.
        assert_eq!(
            publish(&findings),
            Some(Some(
                "Release the guard after its last use (`drop(state)`)".to_string()
            )),
            "{findings:#?}"
        );
    }

    #[test]
    fn a_method_of_the_same_name_on_another_type_is_not_taken_for_it() {
        // `controller.status` is a `Health` here, whose `inputs()` returns a number.
        let health = "
pub struct Health { n: u64 }
impl Health {
    pub fn inputs(&self) -> Vec<u64> { vec![self.n] }
    pub fn is_paused(&self, _id: &u64) -> bool { false }
}
";
        let controller = CONTROLLER.replace("Arc<Status>", "Arc<Health>");
        let index = index_of(&[
            ("src/stats.rs", STATS),
            ("src/health.rs", health),
            ("src/controller.rs", &controller),
        ]);
        assert!(
            analyze(&controller, &options(Some(index)))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn a_struct_declared_twice_in_the_crate_resolves_to_nothing() {
        let twin = "pub struct Status { other: u8 }";
        let index = index_of(&[
            ("src/stats.rs", STATS),
            ("src/twin.rs", twin),
            ("src/controller.rs", CONTROLLER),
        ]);
        // The twin has no lock: its file leaves no summary, and the front end adds its names.
        let mut index = Arc::into_inner(index).expect("one owner");
        index.add_unsummarised_structs(struct_names_in_text(twin));
        assert!(
            analyze(CONTROLLER, &options(Some(Arc::new(index))))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn an_async_method_locks_only_when_awaited() {
        let index = index_of(&[(
            "src/a.rs",
            "
pub struct S { m: tokio::sync::Mutex<u8> }
impl S {
    pub async fn bump(&self) { *self.m.lock().await += 1; }
}
",
        )]);
        assert_eq!(index.locks_on_call("S", "bump", true).len(), 1);
        assert!(index.locks_on_call("S", "bump", false).is_empty());
        assert!(index.locks_on_call("T", "bump", true).is_empty());
    }
}
