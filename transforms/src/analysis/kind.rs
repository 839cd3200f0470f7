//! Which crate a lock comes from, guessed from one file's text.
//!
//! The syntax tier has no type checker, so it reads the evidence a person would: `use` items, type
//! annotations on fields, lets, parameters and statics, and constructor calls. A name that is
//! declared as two different kinds in the same file is `Unknown` rather than a guess.

use std::collections::HashMap;

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasName},
};

/// The library a lock (and so its guard) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LockKind {
    Std,
    ParkingLot,
    Tokio,
    AsyncLock,
    Futures,
    DashMap,
    /// `RefCell`: not a lock, but a `borrow()` held across an `.await` makes another task's
    /// `borrow_mut()` panic, and a `borrow_mut()` while a borrow is alive panics at once.
    RefCell,
    /// Acquired with `.await`, crate unknown.
    UnknownAsync,
    /// No evidence either way; treated as blocking.
    Unknown,
}

impl LockKind {
    /// A lock whose crate the syntax tier could not name.
    pub fn is_unknown(self) -> bool {
        matches!(self, LockKind::Unknown | LockKind::UnknownAsync)
    }

    /// Async locks park the task, not the thread, while waiting.
    pub fn is_async(self) -> bool {
        matches!(
            self,
            LockKind::Tokio | LockKind::AsyncLock | LockKind::Futures | LockKind::UnknownAsync
        )
    }

    /// A `RefCell` borrow: it never waits, so holding it during blocking work, emission or while
    /// taking another lock is no hazard; only another borrow of the same cell is.
    pub fn is_cell(self) -> bool {
        self == LockKind::RefCell
    }

    pub fn describe(self) -> &'static str {
        match self {
            LockKind::Std => "std::sync",
            LockKind::ParkingLot => "parking_lot",
            LockKind::Tokio => "tokio::sync",
            LockKind::AsyncLock => "async_lock",
            LockKind::Futures => "futures::lock",
            LockKind::DashMap => "dashmap",
            LockKind::RefCell => "RefCell",
            LockKind::UnknownAsync => "async",
            LockKind::Unknown => "blocking",
        }
    }
}

/// What a name in this file is declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Lock(LockKind),
    /// `Stdout`, `Stdin`, files: their `lock()`/`read()` are not locks for these rules.
    NotALock,
}

/// The lock kinds this file declares, keyed by the last name a receiver is reached through
/// (`self.cache` and `state.cache` both look up `cache`).
#[derive(Debug, Default)]
pub struct KindIndex {
    /// Local alias → full path prefix, from `use` items (`Mutex` → `tokio::sync::Mutex`).
    imports: HashMap<String, String>,
    by_name: HashMap<String, Option<Declared>>,
    /// The configuration's own lock types (`extra-lock-types`).
    extra_lock_types: &'static [&'static str],
    /// Functions of this file by name, with the guard each returns (`fn state(&self) ->
    /// MutexGuard<'_, State>`), or `None` when one of that name returns something else.
    guard_helpers: HashMap<String, Option<GuardType>>,
    /// For a guard-returning function whose body locks `self.<field>`: that receiver
    /// (`self.users`), so that calls of two helpers of one lock are known to be the same lock.
    helper_locks: HashMap<String, String>,
    /// Type aliases of lock types declared in this file.
    aliases: HashMap<String, Declared>,
    /// Names this file gives a type to (fields, parameters, statics, typed `let`s), lock or not.
    typed: std::collections::HashSet<String>,
}

/// A guard type named in a signature: the lock it comes from and the access it grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardType {
    pub kind: LockKind,
    pub mode: super::AccessMode,
}

const LOCK_TYPES: &[&str] = &[
    "Mutex",
    "RwLock",
    "ReentrantMutex",
    "FairMutex",
    "OwnedMutex",
];
/// Whether the function `name`, a method of `owner` (`None`: a free function), belongs to a lock
/// implementation rather than to code that uses a lock: a lock's own acquisition
/// (`lock`/`read`/`write`…), a guard's own method (`RwLockWriteGuard::downgrade`), or a method of a
/// type named like a lock (async-lock's `RwLock::try_upgradable_read`). Its callers hold the
/// lock's own guard: it is no helper, for the crate index or the semantic tier.
pub(crate) fn is_lock_implementation(name: &str, owner: Option<&str>) -> bool {
    super::lock_method_mode(name).is_some()
        || owner.is_some_and(|owner| owner.ends_with("Guard") || LOCK_TYPES.contains(&owner))
}

const NOT_LOCK_TYPES: &[&str] = &[
    "Stdout",
    "Stdin",
    "Stderr",
    "StdoutLock",
    "StdinLock",
    "File",
];

impl KindIndex {
    pub fn build(file: &SyntaxNode) -> KindIndex {
        KindIndex::build_with(file, &[])
    }

    /// [`KindIndex::build`], also counting the configured `extra_lock_types` as lock types.
    pub fn build_with(file: &SyntaxNode, extra_lock_types: &'static [&'static str]) -> KindIndex {
        let nodes: Vec<SyntaxNode> = file.descendants().collect();
        KindIndex::build_from(&nodes, extra_lock_types)
    }

    /// [`KindIndex::build_with`] from the file's nodes in preorder, when the caller walked the
    /// tree already.
    pub fn build_from(
        nodes: &[SyntaxNode],
        extra_lock_types: &'static [&'static str],
    ) -> KindIndex {
        let mut index = KindIndex {
            extra_lock_types,
            ..KindIndex::default()
        };
        for use_tree in nodes.iter().cloned().filter_map(ast::UseTree::cast) {
            index.record_use(&use_tree);
        }
        // `type SessionStore = DashMap<Id, Status>;` makes `SessionStore` a lock type, wherever in
        // the file the alias is declared.
        for alias in nodes.iter().cloned().filter_map(ast::TypeAlias::cast) {
            if let (Some(name), Some(ty)) = (alias.name(), alias.ty())
                && let Some(declared) = index.classify_type(ty.syntax())
            {
                index.aliases.insert(name.text().to_string(), declared);
            }
        }
        for node in nodes {
            if let Some(field) = ast::RecordField::cast(node.clone()) {
                if let (Some(name), Some(ty)) = (field.name(), field.ty()) {
                    index.typed.insert(name.text().to_string());
                    let declared = index.classify_type(ty.syntax());
                    index.declare(name.text(), declared);
                }
            } else if let Some(param) = ast::Param::cast(node.clone()) {
                if let (Some(ast::Pat::IdentPat(pat)), Some(ty)) = (param.pat(), param.ty())
                    && let Some(name) = pat.name()
                {
                    index.typed.insert(name.text().to_string());
                    let declared = index.classify_type(ty.syntax());
                    index.declare(name.text(), declared);
                }
            } else if let Some(stat) = ast::Static::cast(node.clone()) {
                if let (Some(name), Some(ty)) = (stat.name(), stat.ty()) {
                    index.typed.insert(name.text().to_string());
                    let declared = index.classify_type(ty.syntax());
                    index.declare(name.text(), declared);
                }
            } else if let Some(let_stmt) = ast::LetStmt::cast(node.clone()) {
                let Some(ast::Pat::IdentPat(pat)) = let_stmt.pat() else {
                    continue;
                };
                let Some(name) = pat.name() else { continue };
                let declared = match (let_stmt.ty(), let_stmt.initializer()) {
                    (Some(ty), _) => index.classify_type(ty.syntax()),
                    (None, Some(init)) => index.classify_constructor(init.syntax()),
                    _ => None,
                };
                index.declare(name.text(), declared);
            } else if let Some(function) = ast::Fn::cast(node.clone()) {
                if let Some(name) = function.name() {
                    let returns = index.returned_guard(&function);
                    if let Some(guard) = returns
                        && let Some(receiver) = first_self_lock(&function, guard.kind)
                    {
                        index.helper_locks.insert(name.text().to_string(), receiver);
                    }
                    index.declare_helper(name.text().to_string(), returns);
                }
            } else if let Some(field) = ast::RecordExprField::cast(node.clone()) {
                // `Self { cache: Arc::new(RwLock::new(..)) }` declares `cache` by its constructor.
                if let (Some(name), Some(expr)) = (field.field_name(), field.expr()) {
                    let declared = index.classify_constructor(expr.syntax());
                    if declared.is_some() {
                        index.declare(name.text(), declared);
                    }
                }
            }
        }
        index
    }

    /// The guard `function` returns (`-> MutexGuard<'_, State>`, also inside `Result`/`Option`).
    /// A function handed a guard that gives one back (`Condvar::wait(guard)`) takes no lock of
    /// its own.
    pub fn returned_guard(&self, function: &ast::Fn) -> Option<GuardType> {
        let takes_a_guard = function.param_list().is_some_and(|params| {
            params
                .params()
                .filter_map(|p| p.ty())
                .any(|ty| self.guard_type(ty.syntax()).is_some())
        });
        function
            .ret_type()
            .and_then(|r| r.ty())
            .and_then(|ty| self.guard_type(ty.syntax()))
            .filter(|_| !takes_a_guard)
    }

    /// The guard a function of this file named `name` returns, when every function of that name
    /// returns one of the same type.
    pub fn guard_helper(&self, name: &str) -> Option<GuardType> {
        self.guard_helpers.get(name).copied().flatten()
    }

    /// The `self.<field>` lock a guard-returning function takes, if its body shows one.
    pub fn helper_lock(&self, name: &str) -> Option<&str> {
        self.helper_locks.get(name).map(String::as_str)
    }

    /// Whether this file declares something named `name` (a field, parameter, static or local
    /// with a type or a constructor it can read), lock or not.
    pub fn is_declared(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.typed.contains(name)
    }

    /// Whether some name of this file is declared as a lock of `kind`.
    pub fn declares(&self, kind: LockKind) -> bool {
        self.by_name
            .values()
            .any(|d| *d == Some(Declared::Lock(kind)))
    }

    /// Whether any function of this file returns a guard.
    pub fn has_guard_helpers(&self) -> bool {
        self.guard_helpers.values().any(Option::is_some)
    }

    fn declare_helper(&mut self, name: String, returns: Option<GuardType>) {
        self.guard_helpers
            .entry(name)
            .and_modify(|known| {
                if *known != returns {
                    *known = None;
                }
            })
            .or_insert(returns);
    }

    /// The outermost paths of a type (`Arc<tokio::sync::RwLock<T>>` → `Arc`, `tokio::sync::RwLock`,
    /// `T`), each with its last name as imported (`use tokio::sync::RwLock as AsyncRwLock;` makes
    /// `AsyncRwLock` read as `RwLock`).
    fn type_paths(&self, ty: &SyntaxNode) -> Vec<(ast::Path, String)> {
        ty.descendants()
            .filter_map(ast::Path::cast)
            // Only the outermost path of a path type: its qualifier is visited as part of it.
            .filter(|path| path.syntax().parent().and_then(ast::Path::cast).is_none())
            .filter_map(|path| {
                let last = path.segment()?.name_ref()?.text().to_string();
                let last = match self.imports.get(&last) {
                    Some(full) => full.rsplit("::").next().unwrap_or_default().to_string(),
                    None => last,
                };
                Some((path, last))
            })
            .collect()
    }

    /// The guard type in a return type, also inside `Result`/`Option`: `MutexGuard<'_, T>`,
    /// `tokio::sync::RwLockWriteGuard<'_, T>`, `parking_lot::MappedRwLockReadGuard<..>`.
    fn guard_type(&self, ty: &SyntaxNode) -> Option<GuardType> {
        use super::AccessMode;
        for (path, last) in self.type_paths(ty) {
            // DashMap's references hold their shard's lock: `dashmap::mapref::one::Ref<'_, K, V>`.
            if let Some(mode) = dashmap_ref_mode(&last)
                && self.resolve_lock_path(&path, &last) == LockKind::DashMap
            {
                return Some(GuardType {
                    kind: LockKind::DashMap,
                    mode,
                });
            }
            let is_guard = last.ends_with("Guard")
                && (last.contains("Mutex") || last.contains("RwLock") || last.contains("Lock"));
            if !is_guard {
                continue;
            }
            let mode = if last.contains("UpgradableRead") {
                AccessMode::Upgradable
            } else if last.contains("Read") {
                AccessMode::Read
            } else if last.contains("Write") {
                AccessMode::Write
            } else {
                AccessMode::Exclusive
            };
            let kind = self.resolve_lock_path(&path, &last);
            return Some(GuardType { kind, mode });
        }
        None
    }

    /// The declared kind of the lock reached through `name`, if this file says.
    pub fn lookup(&self, name: &str) -> Option<LockKind> {
        match self.by_name.get(name).copied().flatten() {
            Some(Declared::Lock(kind)) => Some(kind),
            _ => None,
        }
    }

    /// Whether `name` is declared as something whose `lock()` is not a lock (stdout, files).
    pub fn is_not_a_lock(&self, name: &str) -> bool {
        matches!(self.by_name.get(name), Some(Some(Declared::NotALock)))
    }

    /// The kind a bare type name refers to through this file's imports (`Mutex` after
    /// `use tokio::sync::Mutex`).
    pub fn kind_of_type_name(&self, name: &str) -> Option<LockKind> {
        let full = self.imports.get(name)?;
        crate_kind(full)
    }

    /// Whether the file imports any async lock: used to name the crate of an awaited acquisition.
    pub fn imported_async_kind(&self) -> Option<LockKind> {
        let mut kinds = self
            .imports
            .iter()
            .filter(|(alias, _)| {
                LOCK_TYPES.iter().any(|t| alias.contains(t)) || alias.as_str() == "sync"
            })
            .filter_map(|(_, full)| crate_kind(full))
            .filter(|k| k.is_async());
        let first = kinds.next()?;
        kinds.all(|k| k == first).then_some(first)
    }

    fn declare(&mut self, name: &str, declared: Option<Declared>) {
        let Some(declared) = declared else {
            return;
        };
        self.by_name
            .entry(name.to_string())
            .and_modify(|existing| {
                if *existing != Some(declared) {
                    // Two declarations disagree: say nothing rather than guess.
                    *existing = None;
                }
            })
            .or_insert(Some(declared));
    }

    fn record_use(&mut self, tree: &ast::UseTree) {
        // Only leaf trees carry a name: `use a::{b, c as d}` has leaves `b` and `c as d`.
        if tree.use_tree_list().is_some() {
            return;
        }
        let Some(path) = tree.path() else { return };
        let mut segments: Vec<String> = vec![path_text(&path)];
        for ancestor in tree
            .syntax()
            .ancestors()
            .skip(1)
            .filter_map(ast::UseTree::cast)
        {
            if let Some(prefix) = ancestor.path() {
                segments.push(path_text(&prefix));
            }
        }
        segments.reverse();
        let full = segments.join("::");
        let alias = match tree.rename().and_then(|r| r.name()) {
            Some(name) => name.text().to_string(),
            None => full.rsplit("::").next().unwrap_or_default().to_string(),
        };
        if alias.is_empty() || alias == "self" || alias == "*" {
            return;
        }
        // `use super::{Arc, RwLock};` in a test module re-imports what the file imported: the
        // file's own `use tokio::sync::RwLock` still says which crate it is.
        let relative = full.starts_with("super::") || full.starts_with("self::");
        if relative && self.imports.contains_key(&alias) {
            return;
        }
        self.imports.insert(alias, full);
    }

    /// Classify a type: `Arc<tokio::sync::RwLock<T>>` → tokio. Looks at every path in the type, so
    /// wrappers (`Arc`, `Box`, references) do not hide the lock.
    fn classify_type(&self, ty: &SyntaxNode) -> Option<Declared> {
        for (path, last) in self.type_paths(ty) {
            if let Some(declared) = self.aliases.get(&last) {
                return Some(*declared);
            }
            if NOT_LOCK_TYPES.contains(&last.as_str()) {
                return Some(Declared::NotALock);
            }
            if last == "DashMap" || last == "DashSet" {
                return Some(Declared::Lock(LockKind::DashMap));
            }
            if last == "RefCell" {
                return Some(Declared::Lock(LockKind::RefCell));
            }
            if self.is_lock_type(&last) {
                return Some(Declared::Lock(self.resolve_lock_path(&path, &last)));
            }
        }
        None
    }

    /// Classify a constructor expression: `Arc::new(Mutex::new(..))`, `tokio::sync::RwLock::default()`.
    fn classify_constructor(&self, expr: &SyntaxNode) -> Option<Declared> {
        for call in expr.descendants().filter_map(ast::CallExpr::cast) {
            let Some(ast::Expr::PathExpr(callee)) = call.expr() else {
                continue;
            };
            let Some(path) = callee.path() else { continue };
            let Some(type_path) = path.qualifier() else {
                continue;
            };
            let Some(last) = type_path.segment().and_then(|s| s.name_ref()) else {
                continue;
            };
            let last = last.text().to_string();
            if self.is_lock_type(&last) {
                return Some(Declared::Lock(self.resolve_lock_path(&type_path, &last)));
            }
            if last == "DashMap" {
                return Some(Declared::Lock(LockKind::DashMap));
            }
            if last == "RefCell" {
                return Some(Declared::Lock(LockKind::RefCell));
            }
        }
        None
    }

    fn is_lock_type(&self, name: &str) -> bool {
        LOCK_TYPES.contains(&name) || self.extra_lock_types.contains(&name)
    }

    fn resolve_lock_path(&self, path: &ast::Path, last: &str) -> LockKind {
        let text = path_text(path);
        let last = if text.contains("::") {
            last
        } else {
            text.as_str()
        };
        let first = text.split("::").next().unwrap_or_default();
        let expanded = if text.contains("::") {
            match self.imports.get(first) {
                Some(full) => format!("{full}{}", &text[first.len()..]),
                None => text.clone(),
            }
        } else {
            self.imports.get(last).cloned().unwrap_or(text.clone())
        };
        crate_kind(&expanded).unwrap_or(LockKind::Unknown)
    }
}

/// The access a DashMap reference type grants: `Ref`/`MappedRef` read, `RefMut`/`MappedRefMut`
/// write.
fn dashmap_ref_mode(name: &str) -> Option<super::AccessMode> {
    match name {
        "Ref" | "MappedRef" => Some(super::AccessMode::Read),
        "RefMut" | "MappedRefMut" => Some(super::AccessMode::Write),
        _ => None,
    }
}

/// The receiver of the first lock call on `self.<field>` in a function's body: a
/// `lock()`/`read()`/`write()`, or for a function returning a DashMap reference, the map method
/// that made it (`self.handles.get(&id)`).
pub(super) fn first_self_lock(function: &ast::Fn, returns: LockKind) -> Option<String> {
    function
        .body()?
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .find(|call| {
            call.name_ref().is_some_and(|n| {
                super::lock_method_mode(n.text()).is_some()
                    // `get` is too common a name to take the first one: the map is a field.
                    || (returns == LockKind::DashMap
                        && super::guard_sources::dashmap_method_mode(n.text()).is_some()
                        && call.receiver().is_some_and(|r| {
                            super::syntax::compact_text(r.syntax()).starts_with("self.")
                        }))
            })
        })
        .and_then(|call| call.receiver())
        .map(|r| super::syntax::compact_text(r.syntax()))
        .filter(|text| text.starts_with("self.") && !text.contains('('))
}

/// The crate a full path belongs to, for lock types.
fn crate_kind(full: &str) -> Option<LockKind> {
    let first = full
        .trim_start_matches("::")
        .split("::")
        .next()
        .unwrap_or_default();
    match first {
        "std" | "core" | "alloc" => Some(LockKind::Std),
        "parking_lot" | "lock_api" => Some(LockKind::ParkingLot),
        "tokio" => Some(LockKind::Tokio),
        "async_lock" | "async_std" | "smol" => Some(LockKind::AsyncLock),
        "futures" | "futures_util" => Some(LockKind::Futures),
        "dashmap" => Some(LockKind::DashMap),
        _ => None,
    }
}

/// A path's text without generic arguments or whitespace: `tokio::sync::Mutex`.
fn path_text(path: &ast::Path) -> String {
    let mut parts = Vec::new();
    let mut current = Some(path.clone());
    while let Some(p) = current {
        if let Some(segment) = p.segment() {
            let name = segment
                .name_ref()
                .map(|n| n.text().to_string())
                .or_else(|| segment.kind().map(|_| segment.syntax().text().to_string()))
                .unwrap_or_default();
            parts.push(name);
        }
        current = p.qualifier();
    }
    parts.reverse();
    parts.join("::")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    fn index(src: &str) -> KindIndex {
        KindIndex::build(SourceFile::parse(src, Edition::Edition2021).tree().syntax())
    }

    #[test]
    fn imports_decide_the_crate() {
        let idx = index(
            "use std::sync::{Arc, Mutex}; use tokio::sync::RwLock as AsyncRwLock;\n\
             struct S { a: Arc<Mutex<u8>>, b: AsyncRwLock<u8>, c: parking_lot::Mutex<u8>, out: std::io::Stdout }",
        );
        assert_eq!(idx.lookup("a"), Some(LockKind::Std));
        assert_eq!(idx.lookup("b"), Some(LockKind::Tokio));
        assert_eq!(idx.lookup("c"), Some(LockKind::ParkingLot));
        assert!(idx.is_not_a_lock("out"));
    }

    #[test]
    fn a_test_module_reimporting_from_super_keeps_the_crate() {
        let idx = index(
            "use tokio::sync::RwLock;\n\
             struct S { collectors: std::sync::Arc<RwLock<Vec<u8>>> }\n\
             #[cfg(test)] mod tests { use super::{RwLock, S}; }",
        );
        assert_eq!(idx.lookup("collectors"), Some(LockKind::Tokio));
    }

    #[test]
    fn constructors_and_conflicts() {
        let idx = index(
            "fn f() { let m = Arc::new(tokio::sync::Mutex::new(1)); let x = std::sync::Mutex::new(1); }\n\
             fn g() { let x = tokio::sync::Mutex::new(1); }",
        );
        assert_eq!(idx.lookup("m"), Some(LockKind::Tokio));
        assert_eq!(
            idx.lookup("x"),
            None,
            "conflicting declarations give no answer"
        );
    }
}
