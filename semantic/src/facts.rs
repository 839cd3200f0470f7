//! Collecting [`SemanticFacts`] for one file from rust-analyzer's database.

use lockfix_transforms::analysis::facts::{CalleeLock, GuardHelper, site_key};
use lockfix_transforms::analysis::syntax::compact_text;
use lockfix_transforms::analysis::{LockKind, ReceiverFact, SemanticFacts, lock_method_mode};
use ra_ap_hir::{AsAssocItem, AssocItemContainer, HasCrate, Semantics, Type};
use ra_ap_ide_db::RootDatabase;
use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};
use ra_ap_vfs::{FileId, Vfs};

use crate::classify::{Role, classify};

pub(crate) fn collect(db: &RootDatabase, vfs: &Vfs, file_id: FileId) -> SemanticFacts {
    let sema = Semantics::new(db);
    let tree = sema.parse_guess_edition(file_id);
    let mut facts = SemanticFacts::default();
    // Functions that take a lock, in the order met: their values' types are recorded after.
    let mut locking_functions: Vec<ast::Fn> = Vec::new();
    for call in tree
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
    {
        let Some(key) = site_key(&call) else {
            continue;
        };
        let lock_named = key_is_lock_method(&call);
        let role = result_role(&sema, &call);
        if (lock_named || matches!(role, Some(Role::Guard(..))))
            && let Some(function) = call.syntax().ancestors().find_map(ast::Fn::cast)
            && !locking_functions.contains(&function)
        {
            locking_functions.push(function);
        }
        if let Some(Role::Guard(kind, mode)) = role {
            if passes_a_guard_on(&sema, &call) {
                // `m.lock().unwrap()`, `g.map(..)`: the guard was made by the receiver.
                continue;
            }
            if lock_named {
                facts.record_receiver(key, ReceiverFact::Lock(kind));
            } else {
                facts.record_guard_helper(key, GuardHelper { kind, mode });
            }
            continue;
        }
        if lock_named && let Some(fact) = receiver_fact(&sema, &call) {
            // A lock of a crate lockfix does not know whose `lock()` gives a future
            // (futures-intrusive's `GenericMutex`, awaited inside a `join`) is an async lock.
            let fact = match fact {
                ReceiverFact::Lock(LockKind::Unknown) if returns_a_future(&sema, &call) => {
                    ReceiverFact::Lock(LockKind::UnknownAsync)
                }
                other => other,
            };
            facts.record_receiver(key.clone(), fact);
        }
        if key.1 == "self"
            && let Some(locks) = callee_locks(&sema, vfs, file_id, &call)
            && !locks.is_empty()
        {
            facts.callee_locks.insert(key, locks);
        }
    }
    for function in &locking_functions {
        crate::owned_values::record(&sema, function, &mut facts);
    }
    facts
}

/// The call's value is a future (rust-analyzer finds `Future` or `IntoFuture` implemented for it).
fn returns_a_future(sema: &Semantics<'_, RootDatabase>, call: &ast::MethodCallExpr) -> bool {
    sema.type_of_expr(&call.clone().into())
        .is_some_and(|ty| ty.original.into_future_output(sema.db).is_some())
}

/// The receiver already is a guard (or a `LockResult`/`Option` of one).
fn passes_a_guard_on(sema: &Semantics<'_, RootDatabase>, call: &ast::MethodCallExpr) -> bool {
    call.receiver()
        .and_then(|r| sema.type_of_expr(&r))
        .and_then(|ty| role_through_wrappers(sema, &ty.original))
        .is_some_and(|role| matches!(role, Role::Guard(..)))
}

/// A `lock()`/`read()`/`write()`… call with no arguments: what the syntax tier treats as an
/// acquisition.
fn key_is_lock_method(call: &ast::MethodCallExpr) -> bool {
    call.name_ref()
        .is_some_and(|n| lock_method_mode(n.text()).is_some())
        && call
            .arg_list()
            .is_some_and(|args| args.args().next().is_none())
}

/// The role of the call's value — awaited when the call is awaited, inside `Result`/`Option`
/// (`LockResult<MutexGuard<_>>`, `Option<MutexGuard<_>>` from `try_lock`).
fn result_role(sema: &Semantics<'_, RootDatabase>, call: &ast::MethodCallExpr) -> Option<Role> {
    let awaited = call.syntax().parent().and_then(ast::AwaitExpr::cast);
    let expr: ast::Expr = match awaited {
        Some(a) => a.into(),
        None => call.clone().into(),
    };
    let ty = sema.type_of_expr(&expr)?.original;
    role_through_wrappers(sema, &ty)
}

fn role_through_wrappers(sema: &Semantics<'_, RootDatabase>, ty: &Type<'_>) -> Option<Role> {
    let db = sema.db;
    let role = role_of(sema, ty);
    if role.is_some() {
        return role;
    }
    let adt = ty.as_adt()?;
    let name = adt.name(db);
    if matches!(name.as_str(), "Result" | "Option")
        && adt
            .krate(db)
            .display_name(db)
            .is_some_and(|c| matches!(c.to_string().as_str(), "core" | "std"))
    {
        return ty
            .type_arguments()
            .next()
            .and_then(|inner| role_of(sema, &inner));
    }
    None
}

pub(crate) fn role_of(sema: &Semantics<'_, RootDatabase>, ty: &Type<'_>) -> Option<Role> {
    let db = sema.db;
    let adt = ty.as_adt()?;
    let krate = adt.krate(db).display_name(db)?.to_string();
    classify(&krate, adt.name(db).as_str())
}

/// The receiver's type, through references, `Arc`, `Box` and other `Deref`s: a lock, or a type
/// rust-analyzer knows that is none (`None` when the type is unknown).
fn receiver_fact(
    sema: &Semantics<'_, RootDatabase>,
    call: &ast::MethodCallExpr,
) -> Option<ReceiverFact> {
    let receiver = call.receiver()?;
    let ty = sema.type_of_expr(&receiver)?.original;
    if ty.is_unknown() {
        return None;
    }
    let mut all_known = true;
    for step in ty.autoderef(sema.db) {
        if step.is_unknown() {
            all_known = false;
            continue;
        }
        if let Some(Role::Lock(kind)) = role_of(sema, &step) {
            return Some(ReceiverFact::Lock(kind));
        }
    }
    // A method rust-analyzer resolved to an impl of a type that is no lock.
    let resolved = sema.resolve_method_call(call).is_some();
    (all_known && resolved).then_some(ReceiverFact::NotALock)
}

/// The locks `self.method()` takes in its own body, when that body is in another file.
fn callee_locks(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    this_file: FileId,
    call: &ast::MethodCallExpr,
) -> Option<Vec<CalleeLock>> {
    let db = sema.db;
    let function = sema.resolve_method_call(call)?;
    if !matches!(
        function.as_assoc_item(db)?.container(db),
        AssocItemContainer::Impl(_)
    ) {
        return None;
    }
    let source = sema.source(function)?;
    let callee_file = source.file_id.file_id()?.file_id(db);
    if callee_file == this_file {
        // The syntax tier sees methods of the same file itself.
        return None;
    }
    let body = source.value.body()?;
    let callee_async = function.is_async(db);
    let path = vfs.file_path(callee_file).to_string();
    let mut locks = Vec::new();
    for inner in body
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
    {
        if !key_is_lock_method(&inner) || in_nested_body(inner.syntax(), body.syntax()) {
            continue;
        }
        let Some(receiver) = inner.receiver() else {
            continue;
        };
        let identity = compact_text(receiver.syntax());
        if !identity.starts_with("self.") || identity.contains('(') {
            continue;
        }
        let Some(ReceiverFact::Lock(kind)) = receiver_fact(sema, &inner) else {
            continue;
        };
        let Some(method) = inner.name_ref().map(|n| n.text().to_string()) else {
            continue;
        };
        let Some(mode) = lock_method_mode(&method) else {
            continue;
        };
        locks.push(CalleeLock {
            identity,
            mode,
            kind,
            method,
            location: format!("{path}:{}", line_of(inner.syntax())),
            callee_async,
        });
    }
    Some(locks)
}

/// Inside a closure or async block of the callee: runs later, or elsewhere.
fn in_nested_body(node: &SyntaxNode, body: &SyntaxNode) -> bool {
    node.ancestors().take_while(|a| a != body).any(|a| {
        ast::ClosureExpr::can_cast(a.kind())
            || ast::BlockExpr::cast(a).is_some_and(|b| b.async_token().is_some())
    })
}

fn line_of(node: &SyntaxNode) -> usize {
    let root = node.ancestors().last().unwrap_or_else(|| node.clone());
    let offset = node.text_range().start();
    root.text()
        .slice(..offset)
        .to_string()
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}
