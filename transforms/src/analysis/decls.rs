//! The file's declarations that rules look up by name: functions, statics and constants, and the
//! fields or statics whose declared type is a re-entrant lock.
//!
//! Rules ask these questions once per guard or per call (is `REGISTRY` a static? which method
//! is `self.refresh`? is `self.state` a `ReentrantMutex`?). Answering each by walking the whole
//! file made a big file quadratic: moka's 3,500-line `base_cache.rs` spent two thirds of its
//! analysis in such walks. The index is built in one walk, with the lock scopes, and only for
//! files that take a lock.

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasName},
};

use super::syntax;

#[derive(Debug, Default)]
pub struct Declarations {
    /// Every `fn` of the file by name, nested ones and trait methods included, in source order.
    functions: HashMap<String, Vec<ast::Fn>>,
    /// Names of `static` and `const` items.
    statics: HashSet<String>,
    /// Names of record fields and statics declared with a type that says `Reentrant`
    /// (`parking_lot::ReentrantMutex`, `std::sync::ReentrantLock`…).
    reentrant: HashSet<String>,
    /// Named-field structs of the file: struct name → (field name → the names of the types in
    /// the field's declared type, `&'a Arc<Inner>` → `Arc`, `Inner`).
    struct_fields: HashMap<String, HashMap<String, Vec<String>>>,
    /// Structs and enums of the file, once per declaration.
    types: Vec<String>,
    /// Structs and enums with `#[derive(.., Clone, ..)]`, and the self types (as written) of
    /// `impl Clone for ..` blocks.
    clone_types: HashSet<String>,
    /// The methods each function calls on `self` in its own body (not in its closures), by name,
    /// each with whether the call is awaited.
    calls_on_self: HashMap<SyntaxNode, Vec<(String, bool)>>,
}

impl Declarations {
    /// From the file's nodes in preorder: the lock-scope analysis walks the tree once for this,
    /// the kind index and the acquisitions.
    pub fn build_from(nodes: &[SyntaxNode]) -> Declarations {
        let mut decls = Declarations::default();
        for node in nodes {
            if let Some(adt) = ast::Adt::cast(node.clone())
                && !matches!(adt, ast::Adt::Union(_))
                && let Some(name) = adt.name()
            {
                let name = name.text().to_string();
                if derives_clone(&adt) {
                    decls.clone_types.insert(name.clone());
                }
                decls.types.push(name);
            }
            if let Some(f) = ast::Fn::cast(node.clone()) {
                if let Some(name) = f.name() {
                    decls
                        .functions
                        .entry(name.text().to_string())
                        .or_default()
                        .push(f);
                }
            } else if let Some(stat) = ast::Static::cast(node.clone()) {
                if let Some(name) = stat.name() {
                    let name = name.text().to_string();
                    if says_reentrant(stat.ty().as_ref().map(|t| t.syntax())) {
                        decls.reentrant.insert(name.clone());
                    }
                    decls.statics.insert(name);
                }
            } else if let Some(strukt) = ast::Struct::cast(node.clone()) {
                if let (Some(name), Some(ast::FieldList::RecordFieldList(fields))) =
                    (strukt.name(), strukt.field_list())
                {
                    let by_field = fields
                        .fields()
                        .filter_map(|f| Some((f.name()?.text().to_string(), type_names(&f.ty()?))))
                        .collect();
                    decls
                        .struct_fields
                        .entry(name.text().to_string())
                        // Two structs of one name (in two modules): neither is known.
                        .and_modify(|known| *known = HashMap::new())
                        .or_insert(by_field);
                }
            } else if let Some(block) = ast::Impl::cast(node.clone()) {
                if let Some(self_ty) = clone_impl_self_type(&block) {
                    decls.clone_types.insert(self_ty);
                }
            } else if let Some(constant) = ast::Const::cast(node.clone()) {
                if let Some(name) = constant.name() {
                    decls.statics.insert(name.text().to_string());
                }
            } else if let Some(field) = ast::RecordField::cast(node.clone())
                && let Some(name) = field.name()
                && says_reentrant(field.ty().as_ref().map(|t| t.syntax()))
            {
                decls.reentrant.insert(name.text().to_string());
            } else if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
                decls.add_call_on_self(&call);
            }
        }
        decls
    }

    /// Files `call` under the function whose body runs it, when it is a call on `self`.
    fn add_call_on_self(&mut self, call: &ast::MethodCallExpr) {
        if !call.receiver().is_some_and(|r| r.syntax().text() == "self") {
            return;
        }
        let Some(function) =
            syntax::enclosing_body(call.syntax()).filter(|b| ast::Fn::can_cast(b.kind()))
        else {
            return;
        };
        let awaited = call
            .syntax()
            .parent()
            .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR);
        if let Some(name) = call.name_ref() {
            self.calls_on_self
                .entry(function)
                .or_default()
                .push((name.text().to_string(), awaited));
        }
    }

    /// The methods `function` calls on `self` in its own body, in source order, each with
    /// whether the call is awaited.
    pub fn calls_on_self(&self, function: &SyntaxNode) -> &[(String, bool)] {
        self.calls_on_self.get(function).map_or(&[], Vec::as_slice)
    }

    /// The named-field structs of the file with their fields' type names.
    pub fn structs(&self) -> impl Iterator<Item = (&String, &HashMap<String, Vec<String>>)> {
        // A name declared twice was emptied: it tells other files nothing.
        self.struct_fields.iter().filter(|(_, f)| !f.is_empty())
    }

    /// The functions named `name`, in source order.
    pub fn functions_named(&self, name: &str) -> &[ast::Fn] {
        self.functions.get(name).map_or(&[], Vec::as_slice)
    }

    /// The struct of this file that field `field` of struct `owner` holds, when exactly one of the
    /// type names in its declaration is a struct of this file (`semaphore: &'a Inner` → `Inner`).
    pub fn field_struct(&self, owner: &str, field: &str) -> Option<&str> {
        let names = self.struct_fields.get(owner)?.get(field)?;
        self.only_struct(names)
    }

    /// The type names in the declaration of field `field` of this file's struct `owner`.
    pub fn field_type_names(&self, owner: &str, field: &str) -> Option<&[String]> {
        self.struct_fields.get(owner)?.get(field).map(Vec::as_slice)
    }

    /// The one name among `names` that is a struct of this file.
    pub fn only_struct<'a>(&self, names: &'a [String]) -> Option<&'a str> {
        let mut structs = names.iter().filter(|n| self.struct_fields.contains_key(*n));
        let first = structs.next()?;
        structs.all(|n| n == first).then_some(first.as_str())
    }

    /// Whether a `static` or `const` item is named `name`.
    pub fn is_static(&self, name: &str) -> bool {
        self.statics.contains(name)
    }

    /// The structs and enums the file declares, once per declaration, each with whether the file
    /// derives or implements `Clone` for it: what the crate index learns of the file's types.
    pub fn declared_types(&self) -> Vec<(String, bool)> {
        self.types
            .iter()
            .map(|name| (name.clone(), self.clone_types.contains(name)))
            .collect()
    }

    /// Whether a field or static named `name` is declared as a re-entrant lock.
    pub fn is_reentrant(&self, name: &str) -> bool {
        self.reentrant.contains(name)
    }
}

/// Whether an item's attributes derive `Clone` (`#[derive(Debug, Clone)]`).
pub fn derives_clone(item: &impl ast::HasAttrs) -> bool {
    item.attrs().any(|a| {
        let text = a.syntax().text().to_string();
        text.contains("derive") && text.contains("Clone")
    })
}

/// The self type, as written, of an `impl Clone for ..` block.
pub fn clone_impl_self_type(block: &ast::Impl) -> Option<String> {
    block
        .trait_()
        .is_some_and(|t| t.syntax().text().to_string().ends_with("Clone"))
        .then(|| block.self_ty())
        .flatten()
        .map(|ty| ty.syntax().text().to_string())
}

/// The last segment of every path in a type: `&'a std::sync::Arc<Inner>` → `Arc`, `Inner`.
pub fn type_names(ty: &ast::Type) -> Vec<String> {
    ty.syntax()
        .descendants()
        .filter_map(ast::PathSegment::cast)
        .filter(|segment| {
            // The last segment of a path: `sync` in `std::sync::Arc` is a qualifier.
            segment
                .syntax()
                .parent()
                .and_then(ast::Path::cast)
                .is_some_and(|path| path.syntax().parent().and_then(ast::Path::cast).is_none())
        })
        .filter_map(|segment| Some(segment.name_ref()?.text().to_string()))
        .collect()
}

/// Whether a declared type or initializer names a re-entrant lock: taking it again on the same
/// thread does not wait.
pub fn says_reentrant(node: Option<&SyntaxNode>) -> bool {
    node.is_some_and(|n| syntax::compact_text(n).contains("Reentrant"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    #[test]
    fn one_walk_answers_every_lookup() {
        let parse = SourceFile::parse(
            "static A: Mutex<u8> = Mutex::new(0);\n\
             const B: u8 = 1;\n\
             static R: ReentrantMutex<()> = ReentrantMutex::new(());\n\
             struct S { plain: Mutex<u8>, again: parking_lot::ReentrantMutex<u8> }\n\
             impl S { fn f(&self) { fn f() {} } }\n\
             trait T { fn g(&self) {} }",
            Edition::Edition2021,
        );
        let nodes: Vec<SyntaxNode> = parse.tree().syntax().descendants().collect();
        let decls = Declarations::build_from(&nodes);
        assert!(decls.is_static("A") && decls.is_static("B") && decls.is_static("R"));
        assert!(!decls.is_static("S"));
        assert!(decls.is_reentrant("R") && decls.is_reentrant("again"));
        assert!(!decls.is_reentrant("plain") && !decls.is_reentrant("A"));
        assert_eq!(decls.functions_named("f").len(), 2);
        assert_eq!(decls.functions_named("g").len(), 1);
        assert!(decls.functions_named("h").is_empty());
    }
}
