//! What the std→tokio lock swap needs from rust-analyzer: the lock's declaration, every reference
//! to it across the crate (found by references, not by text), and which synchronous functions
//! among its users are called from async code (there `blocking_lock()` would panic).

use std::path::PathBuf;

use lockfix_transforms::analysis::LockKind;
use ra_ap_hir::{FieldSource, HasSource, ModuleDef, PathResolution, Semantics, Type};
use ra_ap_ide_db::RootDatabase;
use ra_ap_ide_db::defs::Definition;
use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasName},
};
use ra_ap_vfs::{FileId, Vfs};

use crate::classify::{Role, classify};

/// A range in a file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub path: PathBuf,
    pub range: TextRange,
}

/// A lock field or static and everything that refers to it.
#[derive(Debug, Clone)]
pub struct SwapTarget {
    /// The name the lock is declared with (`current_context_id`).
    pub name: String,
    /// The declared type (`RwLock<String>`).
    pub declaration: Site,
    /// `Mutex` or `RwLock`.
    pub lock_type: String,
    pub kind: LockKind,
    /// The name at every use, the declaration excluded.
    pub references: Vec<Site>,
    /// Names of synchronous functions that use the lock and are called from async code.
    pub called_from_async: Vec<Site>,
}

pub(crate) fn target(
    db: &RootDatabase,
    vfs: &Vfs,
    file_id: FileId,
    finding: TextRange,
) -> Result<SwapTarget, String> {
    let sema = Semantics::new(db);
    let tree = sema.parse_guess_edition(file_id);
    // The finding covers `let g = m.lock()…` or `if let Ok(g) = m.read()`: its first lock call.
    let call = tree
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter(|c| finding.contains_range(c.syntax().text_range()))
        .find(|c| {
            c.name_ref()
                .is_some_and(|n| lockfix_transforms::analysis::lock_method_mode(n.text()).is_some())
        })
        .ok_or("no lock call at the finding")?;
    let receiver = strip(call.receiver().ok_or("the lock call has no receiver")?);
    let (definition, name, ty, declaration) = match &receiver {
        ast::Expr::FieldExpr(field) => {
            let Some(either::Either::Left(field)) = sema.resolve_field(field) else {
                return Err("the lock is not a named field".into());
            };
            let source = field
                .source(db)
                .ok_or("the field's declaration is not in source")?;
            let FieldSource::Named(record) = source.value else {
                return Err("the lock is a tuple field".into());
            };
            let ty = record.ty().ok_or("the field has no type")?;
            let file = source
                .file_id
                .file_id()
                .ok_or("the field is declared by a macro")?;
            let declaration = Site {
                path: path_of(vfs, file.file_id(db)),
                range: ty.syntax().text_range(),
            };
            (
                Definition::Field(field),
                field.name(db).as_str().to_owned(),
                field.ty(db),
                declaration,
            )
        }
        ast::Expr::PathExpr(path) => {
            let resolved = path.path().and_then(|p| sema.resolve_path(&p));
            let Some(PathResolution::Def(ModuleDef::Static(stat))) = resolved else {
                return Err(
                    "the lock is a local or a parameter: scope the guard instead of swapping"
                        .into(),
                );
            };
            let source = stat
                .source(db)
                .ok_or("the static's declaration is not in source")?;
            let ty = source.value.ty().ok_or("the static has no type")?;
            let file = source
                .file_id
                .file_id()
                .ok_or("the static is declared by a macro")?;
            let declaration = Site {
                path: path_of(vfs, file.file_id(db)),
                range: ty.syntax().text_range(),
            };
            (
                Definition::Static(stat),
                stat.name(db).as_str().to_owned(),
                stat.ty(db),
                declaration,
            )
        }
        _ => return Err("the lock is reached through a call, not a field or static".into()),
    };
    let (kind, lock_type) =
        lock_in(&sema, &ty).ok_or("the declared type holds no std or parking_lot lock")?;
    if !matches!(kind, LockKind::Std | LockKind::ParkingLot) {
        return Err(format!("the lock is already {}", kind.describe()));
    }
    let usages = definition.usages(&sema).all();
    let mut references = Vec::new();
    let mut called_from_async = Vec::new();
    for (file, refs) in usages.references {
        let file_id = file.file_id(db);
        let path = path_of(vfs, file_id);
        let tree = sema.parse(file);
        for reference in refs {
            references.push(Site {
                path: path.clone(),
                range: reference.range,
            });
            if let Some(function) = sync_function_at(tree.syntax(), reference.range)
                && called_from_async_code(&sema, &function)
                && let Some(name) = function.name()
            {
                let site = Site {
                    path: path.clone(),
                    range: name.syntax().text_range(),
                };
                if !called_from_async.contains(&site) {
                    called_from_async.push(site);
                }
            }
        }
    }
    references.sort_by(|a, b| (&a.path, a.range.start()).cmp(&(&b.path, b.range.start())));
    Ok(SwapTarget {
        name,
        declaration,
        lock_type,
        kind,
        references,
        called_from_async,
    })
}

fn strip(mut expr: ast::Expr) -> ast::Expr {
    loop {
        expr = match expr {
            ast::Expr::ParenExpr(p) => match p.expr() {
                Some(e) => e,
                None => return ast::Expr::ParenExpr(p),
            },
            ast::Expr::RefExpr(r) => match r.expr() {
                Some(e) => e,
                None => return ast::Expr::RefExpr(r),
            },
            other => return other,
        }
    }
}

fn path_of(vfs: &Vfs, file: FileId) -> PathBuf {
    let path = vfs.file_path(file);
    path.as_path()
        .map(|p| PathBuf::from(p.as_str()))
        .unwrap_or_else(|| PathBuf::from(path.to_string()))
}

/// The std/parking_lot lock inside a declared type: `RwLock<T>`, `Arc<RwLock<T>>`.
fn lock_in(sema: &Semantics<'_, RootDatabase>, ty: &Type<'_>) -> Option<(LockKind, String)> {
    let db = sema.db;
    let adt = ty.as_adt()?;
    let krate = adt.module(db).krate(db).display_name(db)?.to_string();
    let name = adt.name(db).as_str().to_owned();
    if let Some(Role::Lock(kind)) = classify(&krate, &name) {
        return Some((kind, name));
    }
    // A smart pointer around the lock.
    if matches!(name.as_str(), "Arc" | "Rc" | "Box") {
        return ty
            .type_arguments()
            .next()
            .and_then(|inner| lock_in(sema, &inner));
    }
    None
}

/// The non-async function the reference is in, if it runs there (not in a closure or async block).
fn sync_function_at(root: &SyntaxNode, range: TextRange) -> Option<ast::Fn> {
    let node = root.covering_element(range);
    for ancestor in node.ancestors() {
        if let Some(function) = ast::Fn::cast(ancestor.clone()) {
            return function.async_token().is_none().then_some(function);
        }
        if ast::ClosureExpr::can_cast(ancestor.kind())
            || ast::BlockExpr::cast(ancestor).is_some_and(|b| b.async_token().is_some())
        {
            return None;
        }
    }
    None
}

/// Some caller of `function` is in an async fn or an async block.
fn called_from_async_code(sema: &Semantics<'_, RootDatabase>, function: &ast::Fn) -> bool {
    let Some(def) = sema.to_fn_def(function) else {
        return false;
    };
    let usages = Definition::Function(def).usages(sema).all();
    usages.references.into_iter().any(|(file, refs)| {
        let tree = sema.parse(file);
        refs.iter().any(|r| {
            tree.syntax()
                .covering_element(r.range)
                .ancestors()
                .any(|a| {
                    ast::Fn::cast(a.clone()).is_some_and(|f| f.async_token().is_some())
                        || ast::BlockExpr::cast(a).is_some_and(|b| b.async_token().is_some())
                })
        })
    })
}
