//! Lookups into the whole file that the analysis and the fixes ask once per call or per guard:
//! the functions of a name (is `helper()` a wrapper of a blocking call?), the record fields of a
//! name (what type does `self.client` hold?), the declared types of a lock's name and which types
//! are `Clone` (may a fix clone the guarded value?), the file's functions and method calls (what
//! would rust-analyzer settle?). Each used to walk the whole tree per question (or per module,
//! each with its own cache); here each half of the index is built in one walk the first time a
//! thread asks a question it answers (the code half from the nodes the lock scopes' walk already
//! collected), and kept until that file's analysis ends.
//!
//! The two halves are built apart, each when first needed. The code half is built from the lock
//! scopes' node list, before the rules run, so its calls stay in memory through the rules: about
//! 5 MB more at the peak of the 20,000-function file (148 → 153 MB), for one walk less of every
//! analysed tree.
//!
//! Invariant: every list is in source order, as a walk of the tree would give it.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasName},
};

use super::decls;

/// The index of one file; each half is built on its first question.
pub struct FileIndex {
    root: SyntaxNode,
    code: OnceCell<Code>,
    declarations: OnceCell<Declared>,
}

/// The file's functions and method calls.
#[derive(Default)]
struct Code {
    /// Every `fn` of the file, nested ones and trait methods included.
    functions: Vec<ast::Fn>,
    /// Positions in `functions` by name.
    functions_by_name: HashMap<String, Vec<usize>>,
    /// Every method call of the file.
    method_calls: Vec<ast::MethodCallExpr>,
}

/// What the file declares and with which types.
#[derive(Default)]
struct Declared {
    /// Every named record field (`struct S { name: T }`, and in enum variants) by name.
    fields: HashMap<String, Vec<ast::RecordField>>,
    /// Fields, statics, parameters and `let`s by name, with their declared types.
    types: HashMap<String, Vec<ast::Type>>,
    /// Structs and enums with `#[derive(.., Clone, ..)]`, and the self types (as written) of
    /// `impl Clone for ..` blocks.
    clone_types: HashSet<String>,
    /// Every struct and enum the file declares.
    named_types: HashSet<String>,
}

impl Code {
    /// From the file's nodes in preorder.
    fn build(nodes: impl IntoIterator<Item = SyntaxNode>) -> Code {
        let mut code = Code::default();
        for node in nodes {
            if let Some(function) = ast::Fn::cast(node.clone()) {
                if let Some(name) = function.name() {
                    code.functions_by_name
                        .entry(name.text().to_string())
                        .or_default()
                        .push(code.functions.len());
                }
                code.functions.push(function);
            } else if let Some(call) = ast::MethodCallExpr::cast(node) {
                code.method_calls.push(call);
            }
        }
        code
    }
}

impl Declared {
    fn build(file: &SyntaxNode) -> Declared {
        let mut declared = Declared::default();
        for node in file.descendants() {
            let (name, ty) = if let Some(field) = ast::RecordField::cast(node.clone()) {
                if let Some(name) = field.name() {
                    declared
                        .fields
                        .entry(name.text().to_string())
                        .or_default()
                        .push(field.clone());
                }
                (field.name(), field.ty())
            } else if let Some(stat) = ast::Static::cast(node.clone()) {
                (stat.name(), stat.ty())
            } else if let Some(param) = ast::Param::cast(node.clone()) {
                // `fn f(m: &RwLock<Vec<u8>>)`
                (bound_name(param.pat()), param.ty())
            } else if let Some(stmt) = ast::LetStmt::cast(node.clone()) {
                // `let m: Arc<Mutex<u8>> = …`
                (bound_name(stmt.pat()), stmt.ty())
            } else {
                if let Some(adt) = ast::Adt::cast(node.clone())
                    && !matches!(adt, ast::Adt::Union(_))
                    && let Some(name) = adt.name()
                {
                    if decls::derives_clone(&adt) {
                        declared.clone_types.insert(name.text().to_string());
                    }
                    declared.named_types.insert(name.text().to_string());
                } else if let Some(self_ty) =
                    ast::Impl::cast(node).and_then(|block| decls::clone_impl_self_type(&block))
                {
                    declared.clone_types.insert(self_ty);
                }
                continue;
            };
            if let (Some(name), Some(ty)) = (name, ty) {
                declared
                    .types
                    .entry(name.text().to_string())
                    .or_default()
                    .push(ty);
            }
        }
        declared
    }
}

impl FileIndex {
    fn code(&self) -> &Code {
        self.code
            .get_or_init(|| Code::build(self.root.descendants()))
    }

    /// Builds the code half from `nodes`, the file's every node in preorder, which the caller
    /// already walked the tree for (the lock scopes' one walk): each walk of a rowan tree allocates
    /// per node.
    pub fn code_from(&self, nodes: &[SyntaxNode]) {
        self.code.get_or_init(|| Code::build(nodes.iter().cloned()));
    }

    fn declarations(&self) -> &Declared {
        self.declarations
            .get_or_init(|| Declared::build(&self.root))
    }

    /// Every `fn` of the file.
    pub fn functions(&self) -> &[ast::Fn] {
        &self.code().functions
    }

    /// The functions named `name`.
    pub fn functions_named(&self, name: &str) -> impl Iterator<Item = &ast::Fn> {
        let code = self.code();
        code.functions_by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &code.functions[i])
    }

    /// Every method call of the file.
    pub fn method_calls(&self) -> &[ast::MethodCallExpr] {
        &self.code().method_calls
    }

    /// The record fields named `name`.
    pub fn fields_named(&self, name: &str) -> &[ast::RecordField] {
        self.declarations()
            .fields
            .get(name)
            .map_or(&[], Vec::as_slice)
    }

    /// The declared types of the fields, statics, parameters and `let`s named `name`; `None` when
    /// nothing of that name declares one.
    pub fn declared_types(&self, name: &str) -> Option<&[ast::Type]> {
        self.declarations().types.get(name).map(Vec::as_slice)
    }

    /// Whether the file derives or implements `Clone` for the type `name`.
    pub fn is_clone_type(&self, name: &str) -> bool {
        self.declarations().clone_types.contains(name)
    }

    /// Whether the file declares a struct or enum named `name`.
    pub fn declares_type(&self, name: &str) -> bool {
        self.declarations().named_types.contains(name)
    }
}

/// The name a parameter or `let` binds, when its pattern is a plain name.
fn bound_name(pat: Option<ast::Pat>) -> Option<ast::Name> {
    match pat? {
        ast::Pat::IdentPat(p) => p.name(),
        _ => None,
    }
}

thread_local! {
    /// The index of the file last asked about on this thread.
    static INDEX: std::cell::RefCell<Option<FileIndex>> = const { std::cell::RefCell::new(None) };
}

/// Answers `query` from the index of `file` (a tree's root). `query` must not ask the index again:
/// it runs while the index is borrowed. Holding the root keeps its tree alive, so a new tree can
/// never be taken for it; the fix loop's next pass, with a new tree, replaces it.
pub fn with<R>(file: &SyntaxNode, query: impl FnOnce(&FileIndex) -> R) -> R {
    INDEX.with(|cell| {
        let mut cached = cell.borrow_mut();
        let index = match &mut *cached {
            Some(index) if &index.root == file => index,
            other => other.insert(FileIndex {
                root: file.clone(),
                code: OnceCell::new(),
                declarations: OnceCell::new(),
            }),
        };
        query(index)
    })
}

/// Drops this thread's index, and the tree it keeps alive: the analysis of a file calls it when
/// done, so that no finished file's tree outlives its analysis (a big file's tree would stay in
/// memory while the front end writes the report).
pub fn forget() {
    INDEX.with(|cell| cell.borrow_mut().take());
}
