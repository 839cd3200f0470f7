//! Is the value behind a lock `Clone`, as far as the file shows? The snapshot fix
//! (`let ids = self.ids.read().unwrap().clone();`) compiles only if it is; without types, the
//! syntax tier looks for the lock's declaration in the file (`ids: RwLock<Vec<String>>`) and
//! accepts the standard types that are `Clone` when their parameters are, and types of the file
//! that derive or implement `Clone`. Anything else — a type of another file, a type parameter —
//! is not proven, and the snapshot is not offered (graph-rs-sdk's `Mutex<DownloadRequest>`,
//! nacos-sdk-rust's `DashMap<K, V>` with `V` unbounded).

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasGenericArgs},
};

use crate::analysis::crate_index::{CrateIndex, owner_type_name, value_param};
use crate::analysis::decls::Declarations;
use crate::analysis::file_index;

/// How the help of a finding starts when only this proof was missing: a snapshot would release
/// the guard if the value is `Clone`. `std-lock-in-async` does not count such a guard as one that
/// cannot be released (its findings do not depend on what one file shows of a type).
pub const NOT_PROVEN_CLONE: &str = "a copy of the guarded value would release the lock";

/// Standard types that are `Clone` when their type parameters are.
const CLONE_CONTAINERS: &[&str] = &[
    "Option", "Vec", "VecDeque", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "Box", "Result",
];

/// Standard types that are always `Clone` (shared pointers clone the pointer).
const CLONE_TYPES: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "bool",
    "char",
    "String",
    "PathBuf",
    "Instant",
    "Duration",
    "SystemTime",
    "Arc",
    "Rc",
    "Bytes",
];

/// Whether the value guarded by the lock named `lock_name` (a field or static of this file) is
/// `Clone`, as far as its declaration in this file shows.
pub fn guarded_value_is_clone(file: &SyntaxNode, lock_name: &str) -> bool {
    every_guarded_value(file, lock_name, |t| is_clone(file, t))
}

/// Whether the file declares a lock named `lock_name` and the value of each such declaration
/// passes `test`. Only declarations that hold a lock count (`active_context_id: Option<&str>`, a
/// constructor's parameter, is not the field); two that do (two structs with a `state` field)
/// must agree.
fn every_guarded_value(
    file: &SyntaxNode,
    lock_name: &str,
    test: impl Fn(&ast::Type) -> bool,
) -> bool {
    let inner: Vec<ast::Type> = declarations(file, lock_name)
        .iter()
        .filter_map(guarded)
        .collect();
    !inner.is_empty() && inner.iter().all(test)
}

/// The declared types of fields, statics, parameters and `let`s named `lock_name`.
fn declarations(file: &SyntaxNode, lock_name: &str) -> Vec<ast::Type> {
    file_index::with(&root_of(file), |index| {
        index.declared_types(lock_name).unwrap_or_default().to_vec()
    })
}

/// The root of `node`'s tree, which [`file_index`] answers about.
fn root_of(node: &SyntaxNode) -> SyntaxNode {
    node.ancestors().last().unwrap_or_else(|| node.clone())
}

/// Whether the value behind the guard that `call`, a guard-returning method of this file or of
/// another file of the crate, returns is `Clone`: the method's guard dereferences to one of its
/// type parameters and the call's turbofish names a type the file or the crate index shows is
/// `Clone` (`server.retrieve::<Track>(id)` of `fn retrieve<T>(..) -> MappedRef<'_, K, V, T>` and
/// a `#[derive(Clone)] struct Track`).
pub fn helper_value_is_clone(
    file: &SyntaxNode,
    decls: &Declarations,
    index: Option<&CrateIndex>,
    call: &ast::Expr,
) -> bool {
    let ast::Expr::MethodCallExpr(call) = call else {
        return false;
    };
    let (Some(method), Some(receiver)) = (call.name_ref(), call.receiver()) else {
        return false;
    };
    let method = method.text().to_string();
    // The file's one function of that name, or the crate's method of the receiver's type.
    let position = match decls.functions_named(&method) {
        [helper] => value_param(helper),
        [] => index.and_then(|index| {
            let receiver = crate::analysis::syntax::compact_text(receiver.syntax());
            let owner = owner_type_name(decls, Some(index), &receiver, call.syntax())?;
            index.guard_helper_value_param(&owner, &method)
        }),
        _ => None,
    };
    let Some(position) = position else {
        return false;
    };
    let value = call.generic_arg_list().and_then(|list| {
        list.generic_args()
            .filter(|a| !matches!(a, ast::GenericArg::LifetimeArg(_)))
            .nth(position)
    });
    match value {
        Some(ast::GenericArg::TypeArg(arg)) => {
            arg.ty().is_some_and(|ty| is_clone_with(file, index, &ty))
        }
        _ => false,
    }
}

/// Whether the value guarded by `lock_name` is a primitive (or a tuple or array of them), as its
/// declaration in this file shows: `Copy`, so a plain `*guard` copies it.
pub fn guarded_value_is_copy(file: &SyntaxNode, lock_name: &str) -> bool {
    every_guarded_value(file, lock_name, is_primitive)
}

fn is_primitive(ty: &ast::Type) -> bool {
    match ty {
        ast::Type::TupleType(t) => t.fields().all(|f| is_primitive(&f)),
        ast::Type::ArrayType(a) => a.ty().is_some_and(|t| is_primitive(&t)),
        ast::Type::PathType(p) => p
            .path()
            .and_then(|p| p.segment())
            .and_then(|s| s.name_ref())
            .is_some_and(|n| {
                PRIMITIVES.contains(&n.text().to_string().as_str())
                    && p.path()
                        .and_then(|p| p.segment())
                        .and_then(|s| s.generic_arg_list())
                        .is_none()
            }),
        _ => false,
    }
}

/// Whether the file declares the value guarded by `lock_name` as a `Vec`.
pub fn guards_a_vec(file: &SyntaxNode, lock_name: &str) -> bool {
    every_guarded_value(file, lock_name, |t| {
        matches!(t, ast::Type::PathType(p)
            if p.path().and_then(|p| p.segment()).and_then(|s| s.name_ref()).is_some_and(|n| n.text() == "Vec"))
    })
}

/// Whether one element of the collection guarded by `lock_name` is `Clone`, as its declaration
/// in this file shows: `V` of a `HashMap<K, V>`/`BTreeMap`/`IndexMap`, `T` of a `Vec<T>`/
/// `VecDeque<T>` — what `guard.get(..)` lends a reference to.
pub fn element_is_clone(file: &SyntaxNode, lock_name: &str) -> bool {
    every_guarded_value(file, lock_name, |t| {
        element(t).is_some_and(|e| is_clone(file, &e))
    })
}

/// The element type of a standard collection type.
fn element(collection: &ast::Type) -> Option<ast::Type> {
    let ast::Type::PathType(path) = collection else {
        return None;
    };
    let segment = path.path()?.segment()?;
    let index = match segment.name_ref()?.text().to_string().as_str() {
        "HashMap" | "BTreeMap" | "IndexMap" => 1,
        "Vec" | "VecDeque" => 0,
        _ => return None,
    };
    type_args(&segment)?.nth(index)
}

const PRIMITIVES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char",
];

/// The value type inside the lock: `T` of `Mutex<T>`/`RwLock<T>` (through `Arc`), `V` of a
/// `DashMap<K, V>`.
fn guarded(ty: &ast::Type) -> Option<ast::Type> {
    let path = match ty {
        ast::Type::PathType(path) => path,
        ast::Type::RefType(r) => return guarded(&r.ty()?),
        _ => return None,
    };
    let segment = path.path()?.segment()?;
    let name = segment.name_ref()?.text().to_string();
    let mut args = type_args(&segment)?;
    match name.as_str() {
        "Arc" | "Rc" | "Box" => guarded(&args.next()?),
        "Mutex" | "RwLock" | "FairMutex" | "ReentrantMutex" => args.next(),
        "DashMap" => args.nth(1),
        _ => None,
    }
}

/// The name of the type the lock named `lock_name` guards (`ShufflingCache` of
/// `shuffling_cache: TimeoutRwLock<ShufflingCache>`), when every declaration of that name in the
/// file agrees on one. A project's own wrapper counts as a lock when its name ends like one
/// (`TimeoutRwLock`, `TracedMutex`) and it has one type argument.
pub fn guarded_type_name(file: &SyntaxNode, lock_name: &str) -> Option<String> {
    // Read in place (the helpers are plain syntax): a file may declare a name thousands of times.
    let mut names = file_index::with(&root_of(file), |index| {
        index
            .declared_types(lock_name)?
            .iter()
            .map(|ty| {
                guarded(ty)
                    .or_else(|| wrapped_by_lock(ty))
                    .and_then(|inner| type_name(&inner))
            })
            .collect::<Option<Vec<String>>>()
    })?;
    names.dedup();
    match names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn wrapped_by_lock(ty: &ast::Type) -> Option<ast::Type> {
    let ast::Type::PathType(path) = ty else {
        return None;
    };
    let segment = path.path()?.segment()?;
    let name = segment.name_ref()?.text().to_string();
    if !["Mutex", "RwLock", "Lock"]
        .iter()
        .any(|end| name.ends_with(end))
    {
        return None;
    }
    let mut args = type_args(&segment)?;
    let only = args.next()?;
    args.next().is_none().then_some(only)
}

/// The type arguments of a path segment (`T` of `Mutex<T>`), lifetimes and constants left out.
fn type_args(segment: &ast::PathSegment) -> Option<impl Iterator<Item = ast::Type>> {
    Some(
        segment
            .generic_arg_list()?
            .generic_args()
            .filter_map(|a| match a {
                ast::GenericArg::TypeArg(t) => t.ty(),
                _ => None,
            }),
    )
}

fn type_name(ty: &ast::Type) -> Option<String> {
    let ast::Type::PathType(path) = ty else {
        return None;
    };
    Some(path.path()?.segment()?.name_ref()?.text().to_string())
}

fn is_clone(file: &SyntaxNode, ty: &ast::Type) -> bool {
    is_clone_with(file, None, ty)
}

/// Whether `ty` is `Clone`, as the file's declarations and, for a type of another file of the
/// crate, the crate index show.
fn is_clone_with(file: &SyntaxNode, index: Option<&CrateIndex>, ty: &ast::Type) -> bool {
    match ty {
        ast::Type::TupleType(t) => t.fields().all(|f| is_clone_with(file, index, &f)),
        ast::Type::ArrayType(a) => a.ty().is_some_and(|t| is_clone_with(file, index, &t)),
        ast::Type::PathType(path) => {
            let Some(segment) = path.path().and_then(|p| p.segment()) else {
                return false;
            };
            let Some(name) = segment.name_ref().map(|n| n.text().to_string()) else {
                return false;
            };
            if CLONE_TYPES.contains(&name.as_str()) || is_cloneable_sender(path, &name) {
                return true;
            }
            let args: Vec<ast::Type> = type_args(&segment)
                .map(Iterator::collect)
                .unwrap_or_default();
            if CLONE_CONTAINERS.contains(&name.as_str()) {
                return args.iter().all(|a| is_clone_with(file, index, a));
            }
            // A type the file declares is judged by the file; one it does not, by the crate's
            // single declaration of that name.
            let declared_here =
                file_index::with(&root_of(file), |index| index.declares_type(&name));
            args.is_empty()
                && (file_type_is_clone(file, &name)
                    || !declared_here && index.is_some_and(|i| i.is_clone_type(&name)))
        }
        _ => false,
    }
}

/// The sending half of a multi-producer channel (std's, tokio's `mpsc` and `broadcast`,
/// crossbeam's, flume's, async-channel's): cloning it adds a producer. A `oneshot` or `watch`
/// sender is not `Clone`, so a bare `Sender` counts only when the path it is written or imported
/// as names one of those channels.
fn is_cloneable_sender(path: &ast::PathType, name: &str) -> bool {
    match name {
        "UnboundedSender" | "SyncSender" | "WeakSender" | "WeakUnboundedSender" => true,
        "Sender" => path.path().is_some_and(|p| {
            let written = crate::analysis::paths::path_text(&p);
            crate::analysis::paths::resolve(path.syntax(), &written)
                .iter()
                .any(|full| {
                    ["mpsc", "broadcast", "crossbeam", "flume", "async_channel"]
                        .iter()
                        .any(|channel| full.split("::").any(|segment| segment == *channel))
                })
        }),
        _ => false,
    }
}

/// A struct or enum of the file named `name` with `#[derive(.., Clone, ..)]` or an
/// `impl Clone for name`.
fn file_type_is_clone(file: &SyntaxNode, name: &str) -> bool {
    file_index::with(&root_of(file), |index| index.is_clone_type(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    fn check(decl: &str) -> bool {
        let src = format!(
            "#[derive(Debug, Clone)] struct Copyable;\nstruct Opaque;\nstruct S {{ m: {decl} }}\n"
        );
        let file = SourceFile::parse(&src, Edition::Edition2021).tree();
        guarded_value_is_clone(file.syntax(), "m")
    }

    #[test]
    fn clone_is_proven_from_the_declaration() {
        for decl in [
            "Mutex<Vec<String>>",
            "Arc<RwLock<Option<String>>>",
            "std::sync::Mutex<HashMap<u64, Copyable>>",
            "DashMap<String, Vec<u8>>",
            "RwLock<(u64, String)>",
            "&parking_lot::Mutex<Vec<u32>>",
        ] {
            assert!(check(decl), "{decl}");
        }
        for decl in [
            "Mutex<Opaque>",
            "Mutex<Elsewhere>",
            "DashMap<K, V>",
            "RwLock<Vec<Opaque>>",
        ] {
            assert!(!check(decl), "{decl}");
        }
    }
}
