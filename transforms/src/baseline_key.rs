//! What identifies a finding across edits that move it (`--baseline`): the path of the function
//! it is in and the text of its primary location, whitespace removed — not its line.

use ra_ap_syntax::{AstNode, Edition, SyntaxNode, TextSize, ast, ast::HasName};

use crate::analysis::syntax::compact_text;
use crate::model::Finding;

/// `(enclosing function path, lock expression)` for each finding, in order. The function path
/// joins the names of the modules, impl types, traits and functions around the finding with `::`
/// (`store::Store::save`); the lock expression is the finding's primary text without whitespace.
pub fn finding_keys(source: &str, edition: Edition, findings: &[Finding]) -> Vec<(String, String)> {
    let parse = ra_ap_syntax::SourceFile::parse(source, edition);
    let file = parse.tree().syntax().clone();
    findings
        .iter()
        .map(|finding| {
            let function = function_path(&file, finding.range.start);
            let lock = source
                .get(finding.range.clone())
                .map(|text| text.split_whitespace().collect::<String>())
                .unwrap_or_default();
            (function, lock)
        })
        .collect()
}

fn function_path(file: &SyntaxNode, offset: usize) -> String {
    let Ok(at) = TextSize::try_from(offset) else {
        return String::new();
    };
    let Some(token) = file.token_at_offset(at).right_biased() else {
        return String::new();
    };
    let mut names: Vec<String> = token
        .parent_ancestors()
        .filter_map(|node| {
            if let Some(f) = ast::Fn::cast(node.clone()) {
                f.name().map(|n| n.text().to_string())
            } else if let Some(m) = ast::Module::cast(node.clone()) {
                m.name().map(|n| n.text().to_string())
            } else if let Some(t) = ast::Trait::cast(node.clone()) {
                t.name().map(|n| n.text().to_string())
            } else {
                ast::Impl::cast(node)
                    .and_then(|i| i.self_ty())
                    .map(|ty| compact_text(ty.syntax()))
            }
        })
        .collect();
    names.reverse();
    names.join("::")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, analyze};

    #[test]
    fn keys_survive_moving_lines() {
        let src = "mod store {\n    impl Store {\n        async fn save(&self) {\n            let g = self.m.lock().unwrap();\n            let n = g.len();\n            x().await;\n        }\n    }\n}\n";
        let findings = analyze(src, &Options::all_rules(Edition::Edition2021)).findings;
        assert!(!findings.is_empty());
        let keys = finding_keys(src, Edition::Edition2021, &findings);
        assert_eq!(keys[0].0, "store::Store::save");
        assert!(keys[0].1.contains("self.m.lock()"), "{:?}", keys[0]);
        let moved = format!(
            "\n\n// moved\n{}",
            src.replace("let g = self", "let g =   self")
        );
        let findings = analyze(&moved, &Options::all_rules(Edition::Edition2021)).findings;
        assert_eq!(finding_keys(&moved, Edition::Edition2021, &findings), keys);
    }
}
