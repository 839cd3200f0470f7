//! Can a value computed from a guard outlive the guard?
//!
//! Moving a value out of a lock scope only compiles when the value does not borrow from the guard.
//! Without types the syntax tier answers from shapes that are owned whatever the types are:
//! a by-value place through the guard (`g.count`, `*g`: it compiled, so it is `Copy`), comparisons
//! and arithmetic, and calls that return owned data by contract (`clone`, `len`, `is_some`…), or a
//! method defined in the same file whose return type has no reference in it.
//!
//! A value that is not proven owned may still have a shape the syntax settles: a reference
//! (`&g.name`, `&*g`, `g.get(&k).unwrap()`, `g.as_str()`) or an `Option`/`Result` of one
//! (`g.get(&k)`, `g.as_ref().ok_or(E)`). [`owning_copy`] says how to turn such a value into an
//! owned one (`.clone()`, `.cloned()`, `.to_owned()`); any other shape gets no fix, because a
//! value that borrows from the guard cannot leave the guard's scope (E0597).
//!
//! Where the semantic tier has loaded the file's workspace, a value's type decides first
//! ([`SemanticFacts::value_owned`]): a type with no reference, lifetime parameter or guard in it
//! cannot borrow from the guard (`serde_json::to_vec(&*g)?`, a dependency's function), one with a
//! reference may. The shapes above decide where rust-analyzer gave no type.

use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};

use std::cell::RefCell;
use std::sync::Arc;

use crate::analysis::SemanticFacts;
use crate::analysis::crate_index::CrateIndex;
use crate::analysis::syntax;

thread_local! {
    /// The semantic facts of the file being analysed on this thread (see [`ValueTypes`]).
    static VALUE_TYPES: RefCell<Option<Arc<SemanticFacts>>> = const { RefCell::new(None) };
}

/// While alive, the ownership proof on this thread reads the values' types in `facts`: the
/// analysis of a file holds one, so that every fix built for the file (a dozen fix shapes ask
/// about ownership, most without the rules' context) sees the types its workspace load gave.
/// Dropping it forgets them, so no other file's analysis reads them.
#[must_use = "the types are read only while the scope is alive"]
pub struct ValueTypes(Option<Arc<SemanticFacts>>);

impl ValueTypes {
    pub fn scope(facts: Option<Arc<SemanticFacts>>) -> ValueTypes {
        ValueTypes(VALUE_TYPES.with(|cell| cell.replace(facts)))
    }
}

impl Drop for ValueTypes {
    fn drop(&mut self) {
        let previous = self.0.take();
        VALUE_TYPES.with(|cell| *cell.borrow_mut() = previous);
    }
}

/// What the semantic tier's types say of `expr`'s value: `Some(true)` owned, `Some(false)` it
/// may borrow, `None` no type known (no workspace loaded, or rust-analyzer had none).
fn owned_by_type(expr: &ast::Expr) -> Option<bool> {
    VALUE_TYPES.with(|cell| cell.borrow().as_ref()?.value_owned(expr))
}

/// Methods whose result never borrows from the receiver.
pub(crate) const OWNING_METHODS: &[&str] = &[
    "clone",
    "cloned",
    "copied",
    "to_owned",
    "to_string",
    "to_vec",
    "into_owned",
    "len",
    "is_empty",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "contains",
    "contains_key",
    "starts_with",
    "ends_with",
    "eq",
    "ne",
    "count",
    "sum",
    "product",
    "any",
    "all",
    "position",
    "capacity",
    "elapsed",
    // Removing an element hands it over.
    "pop",
    "pop_front",
    "pop_back",
    "remove",
    "swap_remove",
    "take",
    "replace",
    "split_off",
];

/// Methods that own their result only when what they consume is already owned.
const PASS_THROUGH_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "ok",
    "err",
];

/// Methods that return `Option<&T>` borrowed from their receiver. Not their `_mut` twins
/// (`get_mut`, `first_mut`, `as_mut`…): a `&mut` borrow is taken to write through it, and writes
/// to a copy would never reach the guarded data, so such a value gets no copy (and no fix).
const OPTION_REF_METHODS: &[&str] = &["get", "first", "last", "front", "back", "peek", "as_ref"];

/// Methods that return a plain reference to an unsized or borrowed form: `.to_owned()` makes it
/// owned (`.clone()` would copy the reference).
const UNSIZED_REF_METHODS: &[&str] = &["as_str", "as_slice", "as_bytes", "as_path", "as_os_str"];

/// Methods that keep an `Option<&T>` an `Option`/`Result` of the same reference.
const OPTION_KEEPING_METHODS: &[&str] = &["ok_or", "ok_or_else", "or", "or_else", "filter"];

/// Methods that unwrap an `Option<&T>`/`Result<&T, _>` into the reference.
const UNWRAPPING_METHODS: &[&str] = &["unwrap", "expect", "unwrap_unchecked"];

/// How to make a borrowed value owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwningCopy {
    /// `&T` → `T` with `.clone()` (a place behind `&` is cloned without the `&`).
    Clone,
    /// `&str`, `&[T]`, `&Path` → `String`, `Vec<T>`, `PathBuf` with `.to_owned()`.
    ToOwned,
    /// `Option<&T>`/`Result<&T, E>` → `Option<T>`/`Result<T, E>` with `.cloned()`.
    Cloned,
    /// `Option<&str>` (from `as_deref`) → `Option<String>`.
    MapToOwned,
}

impl OwningCopy {
    /// The method call written after the value.
    pub fn suffix(self) -> &'static str {
        match self {
            OwningCopy::Clone => ".clone()",
            OwningCopy::ToOwned => ".to_owned()",
            OwningCopy::Cloned => ".cloned()",
            OwningCopy::MapToOwned => ".map(ToOwned::to_owned)",
        }
    }

    /// The expression that borrows `name`, which holds the copy, as the original binding did
    /// (`&T`, `&str`, `Option<&T>`), so the code after the scope keeps its types.
    pub fn reborrow(self, name: &str) -> String {
        match self {
            OwningCopy::Clone => format!("&{name}"),
            OwningCopy::ToOwned => format!("&*{name}"),
            OwningCopy::Cloned => format!("{name}.as_ref()"),
            OwningCopy::MapToOwned => format!("{name}.as_deref()"),
        }
    }

    /// The words of a fix title: "`tx` is copied out of the guard with `.clone()`".
    pub fn method(self) -> &'static str {
        match self {
            OwningCopy::Clone => "`.clone()`",
            OwningCopy::ToOwned => "`.to_owned()`",
            OwningCopy::Cloned => "`.cloned()`",
            OwningCopy::MapToOwned => "`.map(ToOwned::to_owned)`",
        }
    }

    /// `expr` with the copy applied, parenthesised where the suffix would bind to less than the
    /// whole expression; `&place.clone()` is written `place.clone()`.
    pub fn apply(self, expr: &ast::Expr) -> String {
        self.apply_to(expr, &expr.syntax().text().to_string())
    }

    /// [`OwningCopy::apply`] on `text`, the text of `expr` as it will be written (re-indented).
    pub fn apply_to(self, expr: &ast::Expr, text: &str) -> String {
        if let ast::Expr::RefExpr(r) = expr
            && let Some(place) = r.expr()
            && self == OwningCopy::Clone
        {
            let skip = usize::from(
                place.syntax().text_range().start() - expr.syntax().text_range().start(),
            );
            let place_text = text.get(skip..).unwrap_or_default();
            return match &place {
                // `&g` borrows the guard itself: clone the value behind it, not the guard.
                ast::Expr::PathExpr(_) => format!("(*{place_text}).clone()"),
                ast::Expr::PrefixExpr(_) => format!("({place_text}).clone()"),
                _ => format!("{place_text}.clone()"),
            };
        }
        if is_postfix(expr) {
            format!("{text}{}", self.suffix())
        } else {
            format!("({text}){}", self.suffix())
        }
    }
}

fn is_postfix(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::MethodCallExpr(_)
            | ast::Expr::FieldExpr(_)
            | ast::Expr::PathExpr(_)
            | ast::Expr::CallExpr(_)
            | ast::Expr::TryExpr(_)
            | ast::Expr::IndexExpr(_)
            | ast::Expr::ParenExpr(_)
            | ast::Expr::AwaitExpr(_)
            | ast::Expr::MacroExpr(_)
    )
}

/// What a value that may borrow from the guard is, as far as the syntax tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BorrowShape {
    /// `&T`; `unsized_` when only `.to_owned()` gives an owned value.
    Ref { unsized_: bool },
    /// `Option<&T>` or `Result<&T, E>`; `unsized_` for `as_deref()`.
    OptionRef { unsized_: bool },
}

/// How to copy `expr` (whose free names in `tainted` borrow from the guard) into an owned value,
/// when it is not owned already: `None` when it is owned or when the syntax does not say.
pub fn owning_copy(expr: &ast::Expr, tainted: &[String], file: &SyntaxNode) -> Option<OwningCopy> {
    let is_tainted = |e: &ast::Expr| {
        tainted
            .iter()
            .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty())
    };
    if classify(expr, &is_tainted, file, None) == Ownership::Owned {
        return None;
    }
    Some(match borrow_shape(expr, tainted, file)? {
        BorrowShape::Ref { unsized_: false } => OwningCopy::Clone,
        BorrowShape::Ref { unsized_: true } => OwningCopy::ToOwned,
        BorrowShape::OptionRef { unsized_: false } => OwningCopy::Cloned,
        BorrowShape::OptionRef { unsized_: true } => OwningCopy::MapToOwned,
    })
}

fn borrow_shape(expr: &ast::Expr, tainted: &[String], file: &SyntaxNode) -> Option<BorrowShape> {
    // The value borrows from the guard only through its receiver chain: a method's result
    // borrows from `self` (lifetime elision), not from its arguments.
    let rooted = |e: &ast::Expr| {
        matches!(super::clone_out::receiver_root(e), ast::Expr::PathExpr(p)
            if tainted.iter().any(|t| p.syntax().text() == t.as_str()))
    };
    match expr {
        ast::Expr::ParenExpr(p) => borrow_shape(&p.expr()?, tainted, file),
        ast::Expr::RefExpr(r) => {
            let place = r.expr()?;
            let is_place = matches!(
                place,
                ast::Expr::FieldExpr(_)
                    | ast::Expr::IndexExpr(_)
                    | ast::Expr::PathExpr(_)
                    | ast::Expr::PrefixExpr(_)
            );
            (is_place && rooted(&place) && r.mut_token().is_none())
                .then_some(BorrowShape::Ref { unsized_: false })
        }
        ast::Expr::TryExpr(t) => match borrow_shape(&t.expr()?, tainted, file)? {
            BorrowShape::OptionRef { unsized_ } => Some(BorrowShape::Ref { unsized_ }),
            BorrowShape::Ref { .. } => None,
        },
        ast::Expr::MethodCallExpr(call) => {
            let name = call.name_ref()?.text().to_string();
            let receiver = call.receiver()?;
            if !rooted(&receiver) {
                return None;
            }
            let name = name.as_str();
            if OPTION_REF_METHODS.contains(&name) {
                return Some(BorrowShape::OptionRef { unsized_: false });
            }
            if name == "as_deref" {
                return Some(BorrowShape::OptionRef { unsized_: true });
            }
            if UNSIZED_REF_METHODS.contains(&name) {
                return Some(BorrowShape::Ref { unsized_: true });
            }
            if OPTION_KEEPING_METHODS.contains(&name) || UNWRAPPING_METHODS.contains(&name) {
                let inner = borrow_shape(&receiver, tainted, file)?;
                return match (inner, UNWRAPPING_METHODS.contains(&name)) {
                    (BorrowShape::OptionRef { unsized_ }, true) => {
                        Some(BorrowShape::Ref { unsized_ })
                    }
                    (BorrowShape::OptionRef { .. }, false) => Some(inner),
                    (BorrowShape::Ref { .. }, _) => None,
                };
            }
            same_file_return_shape(&root(file), name)
        }
        _ => None,
    }
}

/// `fn name(&self) -> &T` / `-> Option<&T>` defined once in the file.
fn same_file_return_shape(file: &SyntaxNode, method: &str) -> Option<BorrowShape> {
    use ra_ap_syntax::ast::HasName;
    let mut shapes = file
        .descendants()
        .filter_map(ast::Fn::cast)
        .filter(|f| f.name().is_some_and(|n| n.text() == method))
        .map(|f| match f.ret_type().and_then(|r| r.ty())? {
            _ if f.async_token().is_some() => None,
            ast::Type::RefType(r) if r.mut_token().is_none() => Some(BorrowShape::Ref {
                unsized_: matches!(
                    r.ty(),
                    Some(ast::Type::SliceType(_) | ast::Type::DynTraitType(_))
                ) || r.ty().is_some_and(|t| {
                    matches!(
                        t.syntax().text().to_string().as_str(),
                        "str" | "Path" | "OsStr"
                    )
                }),
            }),
            ast::Type::PathType(p) => {
                let text = p.syntax().text().to_string();
                let inner = text
                    .strip_prefix("Option<&")
                    .and_then(|t| t.strip_suffix('>'))?;
                (!inner.contains('&') && !inner.starts_with("mut ") && !inner.contains('\''))
                    .then_some(BorrowShape::OptionRef {
                        unsized_: matches!(inner.trim(), "str" | "Path" | "OsStr")
                            || inner.trim_start().starts_with('['),
                    })
            }
            _ => None,
        });
    let first = shapes.next()??;
    // Two methods with this name in one file: which one is called needs types.
    shapes.next().is_none().then_some(first)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// Certainly does not borrow from the guard.
    Owned,
    /// Might borrow from the guard: moving it out of the lock scope may not compile.
    Unknown,
}

/// Whether `expr`, whose free names in `tainted` borrow from (or are) the guard, yields a value
/// that can leave the guard's scope.
pub fn ownership(expr: &ast::Expr, tainted: &[String], file: &SyntaxNode) -> Ownership {
    ownership_in_crate(expr, tainted, file, None)
}

/// [`ownership`], with what the other files of the crate declare about the functions `expr`
/// calls ([`CrateIndex::returns_owned`]).
pub fn ownership_in_crate(
    expr: &ast::Expr,
    tainted: &[String],
    file: &SyntaxNode,
    crate_index: Option<&CrateIndex>,
) -> Ownership {
    let is_tainted = |e: &ast::Expr| {
        tainted
            .iter()
            .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty())
    };
    classify(expr, &is_tainted, file, crate_index)
}

/// Methods whose result's ownership follows from their name alone (owned by contract, passed
/// through, or a borrow as the standard library's methods of that name return): a crate's own
/// function of the same name says nothing about them.
pub fn decided_by_name(name: &str) -> bool {
    OWNING_METHODS.contains(&name)
        || PASS_THROUGH_METHODS.contains(&name)
        || OPTION_REF_METHODS.contains(&name)
        || STD_BORROWING_METHODS.contains(&name)
}

/// Standard-library methods that lend from their receiver (besides [`OPTION_REF_METHODS`]).
const STD_BORROWING_METHODS: &[&str] = &[
    "iter",
    "iter_mut",
    "keys",
    "values",
    "values_mut",
    "as_str",
    "as_slice",
    "as_bytes",
    "as_deref",
    "as_deref_mut",
    "as_path",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "entry",
    "lock",
    "read",
    "write",
    "map",
    "and_then",
    "chars",
    "lines",
    "split",
    "trim",
    "drain",
    // `BTreeMap::range`: an iterator over the map.
    "range",
    "range_mut",
];

/// Whether the value of `expr`, which contains a temporary guard at `guard_range`, can outlive the
/// statement that creates the guard.
pub fn temporary_ownership(
    expr: &ast::Expr,
    guard_range: ra_ap_syntax::TextRange,
    file: &SyntaxNode,
) -> Ownership {
    let is_tainted = |e: &ast::Expr| e.syntax().text_range().contains_range(guard_range);
    classify(expr, &is_tainted, file, None)
}

fn classify(
    expr: &ast::Expr,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
    crate_index: Option<&CrateIndex>,
) -> Ownership {
    if !is_tainted(expr) {
        return Ownership::Owned;
    }
    match owned_by_type(expr) {
        Some(true) => return Ownership::Owned,
        Some(false) => return Ownership::Unknown,
        None => {}
    }
    let all = |exprs: &mut dyn Iterator<Item = ast::Expr>| {
        for e in exprs {
            if classify(&e, is_tainted, file, crate_index) == Ownership::Unknown {
                return Ownership::Unknown;
            }
        }
        Ownership::Owned
    };
    match expr {
        ast::Expr::MethodCallExpr(call) => {
            let name = call
                .name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            if OWNING_METHODS.contains(&name.as_str()) {
                return Ownership::Owned;
            }
            // `g.get(&k).map_or(false, |v| ..)`: the result has the default's type, and a literal
            // default (a bool, a number, a `&'static str`) owns nothing of the guard.
            if matches!(name.as_str(), "map_or" | "map_or_else")
                && call
                    .arg_list()
                    .and_then(|a| a.args().next())
                    .is_some_and(|d| matches!(d, ast::Expr::Literal(_)))
            {
                return Ownership::Owned;
            }
            if name == "map"
                && let Some(owned) = closure_result_owned(call, is_tainted, file, crate_index)
            {
                // `g.get(&k).map(|v| v.len())`: whatever the closure is handed, it returns an
                // owned value, so the `Option`/`Result` it builds is owned.
                return owned;
            }
            if name == "collect" {
                // `iter().collect()` gathers references; a copying step before it does not.
                let chain = call.syntax().text().to_string();
                let copies = [
                    ".cloned()",
                    ".copied()",
                    ".to_owned()",
                    ".to_string()",
                    ".clone()",
                    ".map(",
                ];
                return if copies.iter().any(|c| chain.contains(c)) {
                    Ownership::Owned
                } else {
                    Ownership::Unknown
                };
            }
            if PASS_THROUGH_METHODS.contains(&name.as_str()) {
                return match call.receiver() {
                    Some(receiver) => classify(&receiver, is_tainted, file, crate_index),
                    None => Ownership::Unknown,
                };
            }
            // What the file says of its own function, else what the crate says of a function
            // of that name declared in another file; never for a name whose result is decided
            // by the standard library's borrowing methods of that name (`get`, `iter`…).
            let declared =
                syntax::same_file_method_returns_owned(&root(file), &name).or_else(|| {
                    crate_index
                        .filter(|_| !decided_by_name(&name))
                        .and_then(|index| index.returns_owned(&name))
                });
            match declared {
                Some(true) => Ownership::Owned,
                _ => Ownership::Unknown,
            }
        }
        ast::Expr::MatchExpr(m) => {
            let (Some(scrutinee), Some(arms)) = (m.expr(), m.match_arm_list()) else {
                return Ownership::Unknown;
            };
            let scrutinee = classify(&scrutinee, is_tainted, file, crate_index);
            let owned = arms.arms().all(|arm| {
                branch_value(
                    arm.pat(),
                    scrutinee,
                    arm.expr(),
                    is_tainted,
                    file,
                    crate_index,
                ) == Ownership::Owned
            });
            if owned {
                Ownership::Owned
            } else {
                Ownership::Unknown
            }
        }
        ast::Expr::IfExpr(i) => if_value(i, is_tainted, file, crate_index),
        // `{ state.touch(&uri); match state.parse(uri) { .. } }`: statements that bind nothing
        // cannot hand the tail a borrow, so the block's value is its tail's.
        ast::Expr::BlockExpr(block)
            if matches!(block.modifier(), None | Some(ast::BlockModifier::Unsafe(_))) =>
        {
            let Some(list) = block.stmt_list() else {
                return Ownership::Unknown;
            };
            if !list
                .statements()
                .all(|stmt| matches!(stmt, ast::Stmt::ExprStmt(_)))
            {
                return Ownership::Unknown;
            }
            match list.tail_expr() {
                Some(tail) => classify(&tail, is_tainted, file, crate_index),
                None => Ownership::Owned,
            }
        }
        ast::Expr::TryExpr(t) => match t.expr() {
            Some(inner) => classify(&inner, is_tainted, file, crate_index),
            None => Ownership::Unknown,
        },
        ast::Expr::ParenExpr(p) => match p.expr() {
            Some(inner) => classify(&inner, is_tainted, file, crate_index),
            None => Ownership::Unknown,
        },
        // A by-value place through the guard compiles only if it is `Copy`.
        ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_) => Ownership::Owned,
        ast::Expr::PrefixExpr(_)
        | ast::Expr::BinExpr(_)
        | ast::Expr::CastExpr(_)
        | ast::Expr::Literal(_) => Ownership::Owned,
        ast::Expr::MacroExpr(_) => Ownership::Owned,
        ast::Expr::TupleExpr(t) => all(&mut t.fields()),
        // `Event { trips: g.trips }`: owned when every field is; a shorthand field (`Event { n }`)
        // or a base (`..*g`) may be what borrows, which this cannot tell.
        ast::Expr::RecordExpr(r) => match r.record_expr_field_list() {
            Some(list) if list.spread().is_none() && list.fields().all(|f| f.expr().is_some()) => {
                all(&mut list.fields().filter_map(|f| f.expr()))
            }
            _ => Ownership::Unknown,
        },
        ast::Expr::ArrayExpr(a) => all(&mut a.exprs()),
        ast::Expr::CallExpr(c) => match c.arg_list() {
            Some(args) => all(&mut args.args()),
            None => Ownership::Unknown,
        },
        _ => Ownership::Unknown,
    }
}

/// The ownership of one branch's value (a `match` arm, an `if let` branch) whose pattern binds
/// parts of a scrutinee of ownership `scrutinee`: the bindings borrow from the guard unless the
/// scrutinee is owned and they bind by value. A branch that diverges gives no value.
fn branch_value(
    pat: Option<ast::Pat>,
    scrutinee: Ownership,
    value: Option<ast::Expr>,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
    crate_index: Option<&CrateIndex>,
) -> Ownership {
    let Some(value) = value else {
        return Ownership::Unknown;
    };
    if super::drop_in_arm::diverges(&value) {
        return Ownership::Owned;
    }
    let bindings = pat
        .map(|p| syntax::pattern_bindings(&p))
        .unwrap_or_default();
    let bindings_borrow =
        scrutinee != Ownership::Owned || bindings.iter().any(|b| b.ref_token().is_some());
    let names: Vec<String> = bindings.iter().map(syntax::ident_name).collect();
    let tainted_in_branch = |e: &ast::Expr| {
        is_tainted(e)
            || (bindings_borrow
                && names
                    .iter()
                    .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty()))
    };
    // A block's statements could bind a borrow the tail hands out (`{ let r = &g.x; r }`), which
    // the names above do not cover: only a block that is just its tail is looked into.
    match value {
        ast::Expr::BlockExpr(block) => match block.stmt_list() {
            Some(list) if list.statements().next().is_none() => match list.tail_expr() {
                Some(tail) => classify(&tail, &tainted_in_branch, file, crate_index),
                None => Ownership::Owned,
            },
            _ => Ownership::Unknown,
        },
        value => classify(&value, &tainted_in_branch, file, crate_index),
    }
}

/// `if c { a } else { b }` and `if let P = s { a } else { b }`: owned when every branch's value
/// is, the `if let` bindings counting as borrowed unless what they bind from is owned.
fn if_value(
    i: &ast::IfExpr,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
    crate_index: Option<&CrateIndex>,
) -> Ownership {
    let Some(condition) = i.condition() else {
        return Ownership::Unknown;
    };
    let lets: Vec<ast::LetExpr> = condition
        .syntax()
        .descendants()
        .filter_map(ast::LetExpr::cast)
        .collect();
    if lets.len() > 1 {
        return Ownership::Unknown;
    }
    let (pat, scrutinee) = match lets.first() {
        Some(l) => (
            l.pat(),
            l.expr().map_or(Ownership::Unknown, |e| {
                classify(&e, is_tainted, file, crate_index)
            }),
        ),
        None => (None, Ownership::Owned),
    };
    let then = branch_value(
        pat,
        scrutinee,
        i.then_branch().map(ast::Expr::BlockExpr),
        is_tainted,
        file,
        crate_index,
    );
    let otherwise = match i.else_branch() {
        None => Ownership::Owned,
        Some(ast::ElseBranch::Block(b)) => branch_value(
            None,
            Ownership::Owned,
            Some(ast::Expr::BlockExpr(b)),
            is_tainted,
            file,
            crate_index,
        ),
        Some(ast::ElseBranch::IfExpr(nested)) => if_value(&nested, is_tainted, file, crate_index),
    };
    if then == Ownership::Owned && otherwise == Ownership::Owned {
        Ownership::Owned
    } else {
        Ownership::Unknown
    }
}

/// For `x.map(|p| body)`: the ownership of `body`, where the closure's parameters count as
/// borrowing from the guard. `None` when the argument is not a closure.
fn closure_result_owned(
    call: &ast::MethodCallExpr,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
    crate_index: Option<&CrateIndex>,
) -> Option<Ownership> {
    let ast::Expr::ClosureExpr(closure) = call.arg_list()?.args().next()? else {
        return None;
    };
    let body = closure.body()?;
    let params: Vec<String> = closure
        .param_list()?
        .params()
        .filter_map(|p| p.pat())
        .flat_map(|p| syntax::pattern_bindings(&p))
        .map(|p| syntax::ident_name(&p))
        .collect();
    let tainted_in_body = |e: &ast::Expr| {
        is_tainted(e)
            || params
                .iter()
                .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty())
    };
    Some(classify(&body, &tainted_in_body, file, crate_index))
}

fn root(node: &SyntaxNode) -> SyntaxNode {
    node.ancestors().last().unwrap_or_else(|| node.clone())
}

#[cfg(test)]
mod tests;
