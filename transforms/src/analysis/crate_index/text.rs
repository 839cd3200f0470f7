//! What the front end reads from the text of files the first look did not parse, without parsing
//! them whole: the names after `struct` and `fn`, whether a function's own text may block, and the
//! blocking-list entry a function's body calls (parsing only that function, after the file's `use`
//! declarations).
//!
//! Invariants: the name scans may over-report (comments and strings count), which only makes a
//! name ambiguous or a file read when it need not be; a function's body ends at the brace that
//! closes its first `{`, strings, characters and comments skipped; when no body is found,
//! [`function_text_may_block`] answers `true` and [`function_at_blocks`] `None`.

use ra_ap_syntax::{AstNode, ast};

use crate::analysis::effects::{Blocking, CallPattern};

/// Words that, besides the file-level ones ([`crate::analysis::effects::may_block`]), show a
/// blocking call in a function's own text: the names that a path or a `use` item brought in
/// (`File::open`, `sleep(d)`, bcrypt's `hash`/`verify`, `read_to_string`). A helper that calls an
/// imported `std::fs` function by a bare name not listed here is not seen as blocking.
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
    crate::analysis::effects::may_block(function)
        || BODY_BLOCKING_WORDS.iter().any(|w| function.contains(w))
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
    crate::analysis::effects::function_blocks(&function, &Default::default())
        .map(|matched| matched.pattern)
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

/// The structs and enums declared in `text`, without parsing it, each with whether a
/// `#[derive(..)]` between the end of the previous item and its keyword names `Clone`
/// ([`FileSummary::types`](super::FileSummary::types) of a file the first look did not parse).
/// Comments and strings count too, which only makes more names ambiguous (not `Clone`).
pub fn types_in_text(text: &str) -> Vec<(String, bool)> {
    let mut types = Vec::new();
    for keyword in ["struct", "enum"] {
        for (at, name) in items_after(text, keyword) {
            let header = &text[text[..at].rfind(['}', ';']).map_or(0, |end| end + 1)..at];
            types.push((name, derives_clone(header)));
        }
    }
    types
}

/// Whether one of the `#[derive(..)]` attributes in `header` names `Clone`.
fn derives_clone(header: &str) -> bool {
    header.match_indices("derive(").any(|(at, _)| {
        let list = &header[at + "derive(".len()..];
        let list = &list[..list.find(')').unwrap_or(list.len())];
        list.split(',')
            .any(|name| name.trim().rsplit("::").next() == Some("Clone"))
    })
}

/// The identifiers that follow the word `keyword` (a whole word, then whitespace) in `text`.
fn names_after(text: &str, keyword: &str) -> Vec<String> {
    items_after(text, keyword)
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// [`names_after`], each with the offset of its keyword.
fn items_after(text: &str, keyword: &str) -> Vec<(usize, String)> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut names = Vec::new();
    // `memchr`'s substring search: `str::match_indices` cost three times as much over a big
    // package's files.
    for at in memchr::memmem::find_iter(text.as_bytes(), keyword) {
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
            names.push((at, name));
        }
    }
    names
}

/// Finds the declarations `fn name(` and `fn name<` of a set of names (not `fn name_map(`) in a
/// text. Every `fn ` is found with `memchr`'s substring search and the word after it looked up:
/// an Aho-Corasick automaton over two patterns per name, the first version, spent a twentieth of a
/// corpus scan on the thousands of files of a big package.
pub struct DeclarationFinder<'a> {
    /// The name a declaration is found by (`get`) and the names it may stand for, sorted
    /// (`ShufflingCache::get` is declared as `fn get(`: the text does not say which type's).
    names: std::collections::HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> DeclarationFinder<'a> {
    /// `None` for no names.
    pub fn new(names: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut by_last_segment: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for name in names {
            let declared = name.rsplit("::").next().unwrap_or(name);
            by_last_segment.entry(declared).or_default().push(name);
        }
        for names in by_last_segment.values_mut() {
            names.sort_unstable();
            names.dedup();
        }
        (!by_last_segment.is_empty()).then_some(DeclarationFinder {
            names: by_last_segment,
        })
    }

    /// Each declaration in `text`, in the text's order: a name it may stand for and the offset
    /// of its `fn` (one declaration of `get` for both `get` and `ShufflingCache::get`).
    pub fn find_iter<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (&'a str, usize)> + 't {
        memchr::memmem::find_iter(text.as_bytes(), b"fn ").flat_map(move |at| {
            let rest = &text[at + 3..];
            let name_end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let declares = matches!(rest.as_bytes().get(name_end), Some(b'(' | b'<'));
            let names = self.names.get(&rest[..name_end]).filter(|_| declares);
            names.into_iter().flatten().map(move |name| (*name, at))
        })
    }

    /// Whether `text` declares one of the names.
    pub fn is_match(&self, text: &str) -> bool {
        self.find_iter(text).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_of_names_are_found() {
        let finder = DeclarationFinder::new(["ShufflingCache::get", "insert", "get"]).unwrap();
        let text = "fn get_map(&self) {}\nfn get(&self) {}\npub fn insert<K>(k: K) {}\n\
                    // fn insert (not a declaration)\nfn  get() {}\nasync fn get(";
        assert_eq!(
            finder.find_iter(text).collect::<Vec<_>>(),
            vec![
                ("ShufflingCache::get", 21),
                ("get", 21),
                ("insert", 42),
                ("ShufflingCache::get", text.rfind("fn get(").unwrap()),
                ("get", text.rfind("fn get(").unwrap()),
            ]
        );
        assert!(finder.is_match(text));
        assert!(!finder.is_match("fn gets() {} fn insert_all() {}"));
        assert!(DeclarationFinder::new([]).is_none());
    }

    #[test]
    fn struct_names_are_read_from_text() {
        assert_eq!(
            struct_names_in_text("pub struct A<T>; struct  B{} fn construct() {} mystruct C"),
            vec!["A", "B"]
        );
    }

    #[test]
    fn clone_types_are_read_from_text() {
        let text = "#[derive(Debug, Clone)]\npub struct A { x: u8 }\n/// Clone it.\n#[derive(Debug)]\n\
                    struct B;\n#[derive(std::clone::Clone, Copy)]\nenum C { X }\nstruct D(u8);";
        assert_eq!(
            types_in_text(text),
            vec![
                ("A".to_string(), true),
                ("B".to_string(), false),
                ("D".to_string(), false),
                ("C".to_string(), true),
            ]
        );
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
