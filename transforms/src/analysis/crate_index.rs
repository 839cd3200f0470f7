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

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasName},
};

use super::effects::{Blocking, CallPattern};
use super::facts::CalleeLock;
use super::hand_offs::{HandOff, HandedLock};
use super::kind::{GuardType, KindIndex};
use super::{AccessMode, Guard, LockKind, decls::Declarations, syntax};

/// A lock of `self.<field>` that a method takes in its own body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenLock {
    /// `self.<field>`.
    pub identity: String,
    pub mode: AccessMode,
    pub kind: LockKind,
    /// The acquiring method (`read`).
    pub method: String,
    /// 1-based line of the acquisition, for messages.
    pub line: usize,
}

/// One method of an `impl` block, as far as its locks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSummary {
    /// The type of the `impl` block (`Inner` for `impl<'a> Inner<'a>`).
    pub owner: String,
    pub name: String,
    pub is_async: bool,
    /// The guard it returns (`-> MutexGuard<'_, State>`), with the `self.<field>` its body locks
    /// for it, when the body shows one.
    pub returns: Option<(GuardType, Option<String>)>,
    /// Locks of `self.<field>` taken in its own body (not in closures or async blocks in it).
    pub locks: Vec<TakenLock>,
    /// Methods it calls on `self` in its own body, and whether each call is awaited.
    pub self_calls: Vec<(String, bool)>,
}

/// What one file tells the other files of its crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSummary {
    /// Named-field structs: struct name → (field name → the type names in its declared type).
    pub structs: Vec<(String, HashMap<String, Vec<String>>)>,
    /// Methods that lock, return a guard or call other methods of `self`.
    pub methods: Vec<MethodSummary>,
    /// Methods called while one of the file's guards is alive: a method of that name that
    /// locks, in another file, may lock the same lock again.
    pub called_under_guard: Vec<String>,
    /// Methods called on a guard that this file does not declare: whether their results borrow
    /// from the guard is for the file that declares them to say ([`CrateIndex::returns_owned`]).
    pub called_on_guards: Vec<String>,
    /// Every function the file declares, by name, and whether its declared return type is owned
    /// (no reference, lifetime, `impl` or guard in it); a name declared twice is owned only when
    /// both are.
    pub returns_owned: Vec<(String, bool)>,
    /// Functions and methods called while one of the file's guards is alive that are not
    /// blocking by their own name: one the crate declares, that blocks in its body
    /// (`cache_item.wait()` over a channel's `recv()`), is blocking work under the lock.
    pub called_while_held: Vec<String>,
    /// Calls handed the locked value, or a value that owns it, while a guard is alive: the
    /// function called may lock it again, calls deep ([`super::hand_offs`]).
    pub hand_offs: Vec<HandOff>,
}

impl FileSummary {
    /// From the lock-scope analysis of one file: its guards, declarations and kind index.
    pub(super) fn build(
        nodes: &[SyntaxNode],
        guards: &[Guard],
        decls: &Declarations,
        kinds: &KindIndex,
    ) -> FileSummary {
        let structs = decls
            .structs()
            .map(|(name, fields)| (name.clone(), fields.clone()))
            .collect();
        let mut methods = Vec::new();
        for function in nodes.iter().cloned().filter_map(ast::Fn::cast) {
            let Some(name) = function.name() else {
                continue;
            };
            let Some(owner) = impl_type_name(function.syntax()) else {
                // A free function that returns a guard (`pub fn get() -> RwLockWriteGuard<..>`
                // over a static): its calls elsewhere in the crate are acquisitions.
                let in_item = function
                    .syntax()
                    .ancestors()
                    .skip(1)
                    .any(|a| matches!(a.kind(), SyntaxKind::FN | SyntaxKind::TRAIT));
                if let Some(guard) = kinds.returned_guard(&function).filter(|_| !in_item) {
                    methods.push(MethodSummary {
                        owner: String::new(),
                        name: name.text().to_string(),
                        is_async: function.async_token().is_some(),
                        returns: Some((guard, None)),
                        locks: Vec::new(),
                        self_calls: Vec::new(),
                    });
                }
                continue;
            };
            let locks: Vec<TakenLock> = guards
                .iter()
                .filter(|g| &g.body == function.syntax() && g.identity.starts_with("self."))
                .filter(|g| !g.identity[5..].contains(['.', '(', '[']))
                .map(|g| TakenLock {
                    identity: g.identity.clone(),
                    mode: g.mode,
                    kind: g.kind,
                    method: g
                        .method_name_ref()
                        .map(|n| n.text().to_string())
                        .unwrap_or_default(),
                    // An offset until the front end's text turns it into a line.
                    line: usize::from(g.call.syntax().text_range().start()),
                })
                .collect();
            // A lock's own `lock()` (a lock implementation) and a guard's own methods
            // (`MutexGuard::map`) are the lock, not helpers around one.
            let is_lock_itself = super::lock_method_mode(name.text()).is_some()
                || owner.ends_with("Guard")
                || kinds.kind_of_type_name(&owner).is_some();
            let returns = kinds
                .returned_guard(&function)
                .filter(|_| !is_lock_itself)
                .map(|guard| (guard, super::kind::first_self_lock(&function, guard.kind)));
            let self_calls = self_calls(&function);
            if locks.is_empty() && returns.is_none() && self_calls.is_empty() {
                continue;
            }
            methods.push(MethodSummary {
                owner,
                name: name.text().to_string(),
                is_async: function.async_token().is_some(),
                returns,
                locks,
                self_calls,
            });
        }
        let returns_owned = returns_owned(nodes.iter().cloned().filter_map(ast::Fn::cast));
        let called_on_guards = called_on_guards(guards)
            .into_iter()
            .filter(|name| !returns_owned.iter().any(|(declared, _)| declared == name))
            .collect();
        FileSummary {
            structs,
            methods,
            called_under_guard: called_under_guard(guards),
            called_on_guards,
            returns_owned,
            called_while_held: called_while_held(guards),
            hand_offs: super::hand_offs::hand_offs_under(guards),
        }
    }

    /// Turns the acquisitions' offsets into 1-based lines of `text`.
    pub fn offsets_to_lines(&mut self, text: &str) {
        for lock in self.methods.iter_mut().flat_map(|m| m.locks.iter_mut()) {
            let end = lock.line.min(text.len());
            lock.line = text.as_bytes()[..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
        }
    }

    /// Nothing to tell: the file was not parsed, or declares nothing the index keeps.
    pub fn is_empty(&self) -> bool {
        self.structs.is_empty()
            && self.methods.is_empty()
            && self.called_on_guards.is_empty()
            && self.returns_owned.is_empty()
            && self.called_while_held.is_empty()
            && self.hand_offs.is_empty()
    }
}

/// [`FileSummary::returns_owned`] of a file the first look did not parse (it takes no lock), for
/// the names in `wanted` only.
pub fn returns_owned_in_text(text: &str, wanted: &HashSet<&str>) -> Vec<(String, bool)> {
    let file = ra_ap_syntax::SourceFile::parse(text, ra_ap_syntax::Edition::CURRENT).tree();
    returns_owned(
        file.syntax()
            .descendants()
            .filter_map(ast::Fn::cast)
            .filter(|f| f.name().is_some_and(|n| wanted.contains(n.text()))),
    )
}

fn returns_owned(functions: impl Iterator<Item = ast::Fn>) -> Vec<(String, bool)> {
    let mut found: Vec<(String, bool)> = Vec::new();
    for function in functions {
        let Some(name) = function.name() else {
            continue;
        };
        let owned = syntax::return_type_is_owned(&function);
        let name = name.text().to_string();
        match found.iter_mut().find(|(known, _)| *known == name) {
            Some((_, known)) => *known &= owned,
            None => found.push((name, owned)),
        }
    }
    found
}

/// Names too common to resolve by name alone: a crate's own `send` or `get` is rarely the one a
/// guard's region calls on some other value.
const COMMON_NAMES: &[&str] = &[
    "new",
    "get",
    "get_mut",
    "insert",
    "remove",
    "push",
    "pop",
    "len",
    "is_empty",
    "clone",
    "iter",
    "iter_mut",
    "map",
    "and_then",
    "unwrap",
    "expect",
    "send",
    "try_send",
    "recv",
    "try_recv",
    "lock",
    "read",
    "write",
    "flush",
    "contains",
    "contains_key",
    "extend",
    "drain",
    "take",
    "to_string",
    "to_owned",
    "into",
    "from",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "fmt",
    "next",
    "entry",
    "or_default",
    "ok",
    "err",
    "collect",
    "default",
    "drop",
    "call",
    "run",
    "handle",
    "process",
    "update",
    "set",
    "apply",
    "load",
    "store",
    "close",
];

/// Whether `name` is too common to stand for one function of a crate by name alone.
pub fn is_common_name(name: &str) -> bool {
    COMMON_NAMES.contains(&name)
}

/// The names of the calls made while a guard is alive (method names, and the last segment of
/// path calls), other than the common ones ([`COMMON_NAMES`]) and macros. Sorted, each once.
fn called_while_held(guards: &[Guard]) -> Vec<String> {
    // A method called on the guard itself works on the guarded object: `guard-across-blocking`
    // leaves those calls alone (that is what the lock is for), so their names need no answer.
    let on_guard = |guard: &Guard, call: &super::Call| {
        guard.name().is_some_and(|name| {
            call.receiver.as_deref().is_some_and(|receiver| {
                let receiver = receiver.trim_start_matches(['*', '&']);
                receiver == name || receiver.starts_with(&format!("{name}."))
            })
        })
    };
    let mut names: Vec<String> = guards
        .iter()
        .filter(|g| !g.kind.is_cell())
        .flat_map(|g| g.calls.iter().filter(move |call| !on_guard(g, call)))
        .filter(|call| !call.awaited)
        .filter_map(|call| match call.kind {
            super::CallKind::Method => Some(call.callee.as_str()),
            super::CallKind::Path => call.callee.rsplit("::").next(),
            super::CallKind::Macro => None,
        })
        .filter(|name| {
            !name.is_empty()
                && !name.starts_with(char::is_uppercase)
                && !COMMON_NAMES.contains(name)
        })
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Words that, besides the file-level ones ([`super::effects::may_block`]), show a blocking call
/// in a function's own text: the names that a path or a `use` item brought in (`File::open`,
/// `sleep(d)`, bcrypt's `hash`/`verify`, `read_to_string`). A helper that calls an imported
/// `std::fs` function by a bare name not listed here is not seen as blocking.
#[rustfmt::skip]
const BODY_BLOCKING_WORDS: &[&str] = &[
    "File", "OpenOptions", "sleep", "join", "scope", "hash", "verify", "encode", "decode",
    "sync_all", "sync_data", "read_to_string", "read_dir", "create_dir", "remove_file", "remove_dir",
    "rename(", "metadata(", "canonicalize",
];

/// Whether the function whose declaration (`fn name(`) starts at `at` in `text` may block in its
/// own text: its signature and body, found by matching braces (strings, characters and comments
/// skipped), contain a blocking word. `true` when unsure (no body found).
pub fn function_text_may_block(text: &str, at: usize) -> bool {
    let Some(end) = function_end(text, at) else {
        return true;
    };
    let function = &text[at..end];
    super::effects::may_block(function) || BODY_BLOCKING_WORDS.iter().any(|w| function.contains(w))
}

/// The end of the body of the function declared at `at`: after the `}` that closes the first `{`
/// (a `;` before any `{` means no body).
fn function_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' if depth == 0 => return None,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The blocking-list entry the body of the synchronous function declared at `at` (the offset of
/// its `fn`) calls, `None` when it calls none or is `async`: what calling it does. Only the
/// declaration's own text is parsed, from the start of its line (`pub async fn`) to its closing
/// brace, after the file's `use` declarations (the blocking list resolves paths through them:
/// `fs::read_to_string` after `use std::fs;`): a file that declares one wanted name among
/// thousands of lines costs that function.
pub fn function_at_blocks(text: &str, at: usize) -> Option<&'static CallPattern<Blocking>> {
    let end = function_end(text, at)?;
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let mut source = use_declarations(text);
    let prefix = source.len();
    source.push_str(text.get(start..end)?);
    let file = ra_ap_syntax::SourceFile::parse(&source, ra_ap_syntax::Edition::CURRENT).tree();
    let offset = ra_ap_syntax::TextSize::try_from(prefix + at - start).ok()?;
    let function = file
        .syntax()
        .descendants()
        .filter_map(ast::Fn::cast)
        .find(|f| {
            f.fn_token()
                .is_some_and(|t| t.text_range().start() == offset)
        })?;
    super::effects::function_blocks(&function, &Default::default()).map(|matched| matched.pattern)
}

/// The `use` declarations of `text` that start a line (`use std::fs;`, `pub(crate) use a::{b,
/// c};`), each up to its `;`, one per line: what paths in a function's text resolve through.
fn use_declarations(text: &str) -> String {
    let mut uses = String::new();
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = text[line_start..line_end].trim_start();
        let item = line
            .strip_prefix("pub(crate) ")
            .or_else(|| line.strip_prefix("pub "))
            .unwrap_or(line);
        let next = if item.starts_with("use ") {
            let from = line_end - line.len();
            let end = text[from..].find(';').map_or(text.len(), |i| from + i + 1);
            uses.push_str(&text[from..end]);
            uses.push('\n');
            end
        } else {
            line_end
        };
        line_start = next + 1;
    }
    uses
}

/// The names of the methods called with a guard's own binding as receiver (`state.source(uri)`),
/// other than the ones whose results are owned or borrowed whatever their declaration says.
fn called_on_guards(guards: &[Guard]) -> Vec<String> {
    let mut names = method_names_called_on(guards, Guard::name);
    names.retain(|callee| !crate::fixes::ownership::decided_by_name(callee));
    names
}

/// The names of the methods called, while a guard is alive, on the value that owns its lock
/// (`self.refresh()` under `self.cache`'s guard, `status.paused()` under `status.inputs`'s): the
/// calls a relock through another file can be. Each name once.
fn called_under_guard(guards: &[Guard]) -> Vec<String> {
    method_names_called_on(guards, |g| {
        g.identity
            .rsplit_once('.')
            .map(|(owner, _)| owner.to_string())
    })
}

/// The names of the methods called with `receiver(guard)` as receiver while each guard is alive,
/// sorted, each once.
fn method_names_called_on(
    guards: &[Guard],
    receiver: impl Fn(&Guard) -> Option<String>,
) -> Vec<String> {
    let mut names: Vec<String> = guards
        .iter()
        .filter_map(|g| Some((g, receiver(g)?)))
        .flat_map(|(g, receiver)| {
            g.calls
                .iter()
                .filter(move |call| {
                    call.kind == super::CallKind::Method
                        && call.receiver.as_deref() == Some(receiver.as_str())
                })
                .map(|call| call.callee.clone())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `self.name()` calls in `function`'s own body.
fn self_calls(function: &ast::Fn) -> Vec<(String, bool)> {
    let Some(body) = function.body() else {
        return Vec::new();
    };
    body.syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter(|call| {
            call.receiver()
                .is_some_and(|r| syntax::compact_text(r.syntax()) == "self")
                && syntax::enclosing_body(call.syntax()).as_ref() == Some(function.syntax())
        })
        .filter_map(|call| {
            let awaited = call
                .syntax()
                .parent()
                .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR);
            Some((call.name_ref()?.text().to_string(), awaited))
        })
        .collect()
}

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

/// The names after `struct` in `text`, without parsing it: a word `struct` followed by a name.
/// Comments and strings count too, which only makes more names ambiguous.
pub fn struct_names_in_text(text: &str) -> Vec<String> {
    names_after(text, "struct")
}

/// The names after `fn` in `text`, without parsing it (comments and strings count too, which only
/// makes a file read when it need not be). Sorted, each once.
pub fn function_names_in_text(text: &str) -> Vec<String> {
    let mut names = names_after(text, "fn");
    names.sort();
    names.dedup();
    names
}

/// The identifiers that follow the word `keyword` (a whole word, then whitespace) in `text`.
fn names_after(text: &str, keyword: &str) -> Vec<String> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut names = Vec::new();
    for (at, _) in text.match_indices(keyword) {
        let before = text[..at].chars().next_back();
        let rest = &text[at + keyword.len()..];
        if before.is_some_and(is_ident) || !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|&c| is_ident(c))
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// The name of the type whose `impl` block `node` is in: `Inner` for `impl<'a> Inner<'a>`.
pub fn impl_type_name(node: &SyntaxNode) -> Option<String> {
    let self_ty = node.ancestors().find_map(ast::Impl::cast)?.self_ty()?;
    let ast::Type::PathType(path) = self_ty else {
        return None;
    };
    Some(path.path()?.segment()?.name_ref()?.text().to_string())
}

/// The struct that `owner` (`self.semaphore`, `controller.status`) is, by the declared types of
/// its first name and of each field after it: this file's declarations first, then the crate's.
pub fn owner_type_name(
    decls: &Declarations,
    index: Option<&CrateIndex>,
    owner: &str,
    at: &SyntaxNode,
) -> Option<String> {
    let mut segments = owner.split('.');
    let first = segments.next()?;
    let mut current = if first == "self" {
        impl_type_name(at)?
    } else {
        let names: Vec<String> = super::paths::declared_types(at, first)
            .iter()
            .filter_map(|t| t.rsplit("::").next().map(str::to_string))
            .collect();
        declared_struct(decls, index, &names)?.to_string()
    };
    for field in segments {
        // The field may be declared here and its type in another file, or the other way round.
        let names = decls
            .field_type_names(&current, field)
            .or_else(|| index?.field_type_names(&current, field))?;
        current = declared_struct(decls, index, names)?.to_string();
    }
    Some(current)
}

/// The struct of the crate a declared type names (its type names outermost first): the outermost
/// one when it is a struct of the crate (`TimeoutRwLock<ShufflingCache>` is a `TimeoutRwLock`),
/// else the only struct of the crate inside a foreign wrapper (`Arc<Inner>` is reached as `Inner`).
fn declared_struct<'a>(
    decls: &Declarations,
    index: Option<&CrateIndex>,
    names: &'a [String],
) -> Option<&'a str> {
    let only = |names: &'a [String]| {
        decls
            .only_struct(names)
            .or_else(|| index?.only_struct(names))
    };
    names
        .first()
        .and_then(|outer| only(std::slice::from_ref(outer)))
        .or_else(|| only(names))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Edition, Options, RuleId, analyze};

    /// `stats.rs`: a getter that returns the read guard of `inputs`, and a method that reads
    /// `inputs` again.
    const STATS: &str = "
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

    fn options(index: Option<Arc<CrateIndex>>) -> Options {
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
    fn struct_names_are_read_from_text() {
        assert_eq!(
            struct_names_in_text("pub struct A<T>; struct  B{} fn construct() {} mystruct C"),
            vec!["A", "B"]
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

    #[test]
    fn lines_are_counted_from_the_text() {
        let summary = analyze(STATS, &options(None)).summary;
        let paused = summary
            .methods
            .iter()
            .find(|m| m.name == "paused")
            .expect("summarised");
        assert_eq!(paused.owner, "Status");
        assert_eq!(paused.locks[0].line, 15);
        assert_eq!(paused.locks[0].identity, "self.inputs");
    }

    #[test]
    fn a_functions_own_text_says_whether_it_may_block() {
        let text = "fn wait(self) -> u64 { let s = \"}\"; rx.recv().unwrap() }\n\
                    fn peek(&self) -> u64 { /* } */ self.value }\n\
                    fn later() { std::thread::sleep(d) }\n";
        let at = |name: &str| text.find(&format!("fn {name}(")).unwrap();
        assert!(function_text_may_block(text, at("wait")));
        // The body ends at its own brace: the next function's `thread::sleep` is not its.
        assert!(!function_text_may_block(text, at("peek")));
        assert!(function_text_may_block(text, at("later")));
        assert!(function_at_blocks(text, at("wait")).is_some());
        assert!(function_at_blocks(text, at("peek")).is_none());
        assert!(function_at_blocks(text, at("later")).is_some());
        assert_eq!(
            function_names_in_text(text),
            vec!["later".to_string(), "peek".to_string(), "wait".to_string()]
        );
        // Paths resolve through the file's imports, wherever they are.
        let text = "use std::fs;\nfn other() {}\nfn load() -> String { fs::read_to_string(\"a\").unwrap() }\n";
        assert!(function_at_blocks(text, text.find("fn load(").unwrap()).is_some());
    }
}
