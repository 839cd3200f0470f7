//! What one analysed file tells the other files of its crate: a [`FileSummary`] of its structs, of
//! its methods' locks, guard returns and `self` calls, and of the calls its guards' regions make.
//!
//! Invariants: only methods that lock, return a guard or call other methods of `self` are kept
//! (and free functions that return a guard, with an empty `owner`); a method's locks are those of
//! `self.<field>` taken in its own body, their `line` an offset until
//! [`FileSummary::offsets_to_lines`] makes it a 1-based line. The lists of called names are
//! sorted, each name once; `returns_owned` holds each declared name once, owned only when every
//! declaration of it is.

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasGenericArgs, HasGenericParams, HasName},
};

use super::impl_type_name;
use crate::analysis::hand_offs::HandOff;
use crate::analysis::kind::{GuardType, KindIndex};
use crate::analysis::{AccessMode, Guard, LockKind, decls::Declarations, syntax};

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
    /// When the returned guard's value is one of the method's type parameters
    /// (`fn get<T>(..) -> MappedRef<'_, K, V, T>`): that parameter's position, so that a call's
    /// turbofish (`get::<Track>(id)`) names the type behind the guard.
    pub value_param: Option<usize>,
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
    /// from the guard is for the file that declares them to say
    /// ([`CrateIndex::returns_owned`](super::CrateIndex::returns_owned)).
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
    /// function called may lock it again, calls deep ([`crate::analysis::hand_offs`]).
    pub hand_offs: Vec<HandOff>,
    /// The structs and enums the file declares, each with whether it derives or implements
    /// `Clone` there. Not counted by [`FileSummary::is_empty`]: types alone tell the index
    /// nothing worth analysing a file again for.
    pub types: Vec<(String, bool)>,
}

impl FileSummary {
    /// From the lock-scope analysis of one file: its guards, declarations and kind index.
    pub(in crate::analysis) fn build(
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
                        value_param: None,
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
            // A lock implementation's methods (a lock's own `lock()`, a guard's own
            // `MutexGuard::map`), and those of an imported lock type, are the lock, not helpers
            // around one.
            let is_lock_itself =
                crate::analysis::kind::is_lock_implementation(name.text(), Some(&owner))
                    || kinds.kind_of_type_name(&owner).is_some();
            let returns = kinds
                .returned_guard(&function)
                .filter(|_| !is_lock_itself)
                .map(|guard| {
                    (
                        guard,
                        crate::analysis::kind::first_self_lock(&function, guard.kind),
                    )
                });
            let self_calls = decls.calls_on_self(function.syntax()).to_vec();
            if locks.is_empty() && returns.is_none() && self_calls.is_empty() {
                continue;
            }
            methods.push(MethodSummary {
                owner,
                name: name.text().to_string(),
                is_async: function.async_token().is_some(),
                value_param: returns.as_ref().and_then(|_| value_param(&function)),
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
            hand_offs: crate::analysis::hand_offs::hand_offs_under(guards),
            types: decls.declared_types(),
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

/// The position of the type parameter of `function` that its returned guard ends with
/// (`fn get<T>(..) -> Result<MappedRef<'_, K, V, T>, E>` → `T`, the first): a guard's last type
/// argument is the value it dereferences to (`MutexGuard<'_, T>`, dashmap's `Ref<'_, K, V>`), and
/// an `Option` or a `Result` (`FfiResult<..>` too) carries the guard in its first one.
pub fn value_param(function: &ast::Fn) -> Option<usize> {
    let Some(ast::Type::PathType(mut ret)) = function.ret_type()?.ty() else {
        return None;
    };
    let last = loop {
        let segment = ret.path()?.segment()?;
        let name = segment.name_ref()?.text().to_string();
        let mut args = segment.generic_arg_list()?.generic_args();
        if name == "Option" || name.ends_with("Result") {
            match args.next()? {
                ast::GenericArg::TypeArg(arg) => match arg.ty()? {
                    ast::Type::PathType(inner) => ret = inner,
                    _ => return None,
                },
                _ => return None,
            }
        } else {
            break args.last()?;
        }
    };
    let ast::GenericArg::TypeArg(arg) = last else {
        return None;
    };
    let Some(ast::Type::PathType(value)) = arg.ty() else {
        return None;
    };
    let value = value.path()?;
    if value.qualifier().is_some() || value.segment()?.generic_arg_list().is_some() {
        return None;
    }
    let name = value.segment()?.name_ref()?.text().to_string();
    function
        .generic_param_list()?
        .type_or_const_params()
        .position(|p| match p {
            ast::TypeOrConstParam::Type(t) => t.name().is_some_and(|n| n.text() == name),
            ast::TypeOrConstParam::Const(_) => false,
        })
}

/// [`FileSummary::returns_owned`] of a file the first look did not parse (it takes no lock), for
/// the names in `wanted` only.
pub fn returns_owned_in_text(text: &str, wanted: &HashSet<&str>) -> Vec<(String, bool)> {
    let file = ra_ap_syntax::SourceFile::parse(text, ra_ap_syntax::Edition::CURRENT).tree();
    let is_wanted = |f: &ast::Fn| {
        f.name().is_some_and(|n| {
            wanted.contains(n.text())
                || super::type_names::impl_type_name(f.syntax())
                    .is_some_and(|ty| wanted.contains(format!("{ty}::{}", n.text()).as_str()))
        })
    };
    returns_owned(
        file.syntax()
            .descendants()
            .filter_map(ast::Fn::cast)
            .filter(is_wanted),
    )
}

fn returns_owned(functions: impl Iterator<Item = ast::Fn>) -> Vec<(String, bool)> {
    let mut found: Vec<(String, bool)> = Vec::new();
    // Where each name is in `found`: a generated file declares thousands of functions.
    let mut position: HashMap<String, usize> = HashMap::new();
    for function in functions {
        let Some(name) = function.name() else {
            continue;
        };
        let owned = syntax::return_type_is_owned(&function);
        let name = name.text().to_string();
        // A method also under its type's name (`ShufflingCache::get`).
        let typed =
            super::type_names::impl_type_name(function.syntax()).map(|ty| format!("{ty}::{name}"));
        for name in std::iter::once(name).chain(typed) {
            match position.get(&name) {
                Some(&at) => found[at].1 &= owned,
                None => {
                    position.insert(name.clone(), found.len());
                    found.push((name, owned));
                }
            }
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
    let on_guard = |guard: &Guard, call: &crate::analysis::Call| {
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
            crate::analysis::CallKind::Method => Some(call.callee.as_str()),
            crate::analysis::CallKind::Path => call.callee.rsplit("::").next(),
            crate::analysis::CallKind::Macro => None,
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

/// The names of the methods called with a guard's own binding as receiver (`state.source(uri)`),
/// other than the ones whose results are owned or borrowed whatever their declaration says.
fn called_on_guards(guards: &[Guard]) -> Vec<String> {
    let mut names = method_names_called_on(guards, Guard::name);
    names.retain(|callee| !crate::fixes::ownership::decided_by_name(callee));
    // And as methods of the guarded type (`ShufflingCache::get`): the crate's own type says
    // what its `get` returns, where the name alone would be taken for a map's borrowing `get`.
    names.extend(typed_calls_on_guards(guards));
    names.sort();
    names.dedup();
    names
}

/// `Type::method` for each method called on a guard's binding whose name alone decides nothing
/// the crate could say (`get`, `iter`: [`decided_by_name`]), where the file names the type the
/// lock guards and it is not the standard library's. Each such name makes the front end read
/// the files that declare a function of that name: only the questions the name cannot answer.
///
/// [`decided_by_name`]: crate::fixes::ownership::decided_by_name
fn typed_calls_on_guards(guards: &[Guard]) -> Vec<String> {
    let mut names = Vec::new();
    for guard in guards {
        let Some(name) = guard.name() else { continue };
        let asked: Vec<&str> = guard
            .calls
            .iter()
            .filter(|call| {
                call.kind == crate::analysis::CallKind::Method
                    && call.receiver.as_deref() == Some(name.as_str())
                    && crate::fixes::ownership::decided_by_name(&call.callee)
            })
            .map(|call| call.callee.as_str())
            .collect();
        // The guarded type is read from the file's declarations only when there is a question
        // for it: reading them is a walk of the whole file.
        if asked.is_empty() {
            continue;
        }
        let Some(root) = guard.body.ancestors().last() else {
            continue;
        };
        let Some(ty) = crate::fixes::clone_evidence::guarded_type_name(&root, &guard.lock_name)
            .filter(|ty| !STANDARD_TYPES.contains(&ty.as_str()))
        else {
            continue;
        };
        names.extend(asked.iter().map(|method| format!("{ty}::{method}")));
    }
    names
}

/// Guarded types whose methods are the standard library's: no file of the crate declares them.
const STANDARD_TYPES: &[&str] = &[
    "Vec",
    "VecDeque",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "BinaryHeap",
    "LinkedList",
    "String",
    "Option",
    "Result",
    "Box",
    "Arc",
    "Rc",
    "Cell",
    "RefCell",
    "IndexMap",
    "IndexSet",
];

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
                    call.kind == crate::analysis::CallKind::Method
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
#[cfg(test)]
mod tests {
    use super::super::tests::{STATS, options};
    use crate::analyze;

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
}
