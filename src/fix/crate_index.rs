//! The crate index's place in a run ([`lockfix_transforms::analysis::crate_index`] builds and
//! reads it): the files of one Cargo package are grouped, their summaries merged, and the files
//! that call one of the package's lock-taking methods are analysed again with the index.
//!
//! A package is the directory of the nearest `Cargo.toml` above a file. Files with no manifest
//! above them belong to no package and get no index. A file is analysed again only when its text
//! calls a method of the index that returns a guard (`input_status(`), or when it takes a lock
//! and calls a method of the index that locks: most files of a crate do neither, and their first
//! analysis stands.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use lockfix_transforms::analysis::crate_index::{
    CrateIndex, DeclarationFinder, FileSummary, function_at_blocks, function_names_in_text,
    function_text_may_block, returns_owned_in_text, struct_names_in_text, types_in_text,
};
use lockfix_transforms::analysis::effects::{Blocking, CallPattern, may_block};
use lockfix_transforms::analysis::hand_offs::{
    Answer, HandOff, HandedLock, MAX_HOPS, answers_in_text, resolve,
};

/// For each file (by its position in the run), the index of its package when that index knows
/// something the file calls; files not listed are left as they are.
pub fn indexes_to_apply(
    paths: &[PathBuf],
    summaries: &[&FileSummary],
    displays: &[&str],
    read: impl Fn(usize) -> Option<String> + Sync,
) -> Vec<(usize, Arc<CrateIndex>)> {
    let mut packages: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    let mut roots = PackageRoots::default();
    for (position, path) in paths.iter().enumerate() {
        if let Some(root) = roots.root_of(path) {
            packages.entry(root).or_default().push(position);
        }
    }
    use rayon::prelude::*;
    // Packages are independent: each is indexed on its own thread (most have few members, so
    // the parallel scan of one package's files alone leaves the other core idle).
    let per_package = |members: Vec<usize>| -> Vec<(usize, Arc<CrateIndex>)> {
        let summarised: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !summaries[i].is_empty())
            .collect();
        if summarised.is_empty() {
            return Vec::new();
        }
        let mut index = CrateIndex::build(summarised.iter().map(|&i| (displays[i], summaries[i])));
        // Methods called on guards that their own file does not declare: the file that does
        // says whether their results borrow from the guard.
        let wanted: HashSet<&str> = summarised
            .iter()
            .flat_map(|&i| summaries[i].called_on_guards.iter().map(String::as_str))
            .collect();
        // Functions called while a guard is alive: the file that declares one says whether it
        // blocks.
        let held_calls: HashSet<&str> = summarised
            .iter()
            .flat_map(|&i| summaries[i].called_while_held.iter().map(String::as_str))
            .collect();
        let lock_facts = index.has_lock_facts();
        let hands_off = summarised
            .iter()
            .any(|&i| !summaries[i].hand_offs.is_empty());
        if !lock_facts && wanted.is_empty() && held_calls.is_empty() && !hands_off {
            return Vec::new();
        }
        // A file learns something from the index when it calls a guard-returning method (a new
        // acquisition), or when it holds a guard and calls a locking method (a relock).
        let names: Vec<String> = index
            .guard_helper_names()
            .into_iter()
            // `server.handle(id)` and `server.handle::<Track>(id)`.
            .flat_map(|n| [format!("{n}("), format!("{n}::<")])
            // `data::get()`: a free function returning a guard, named with its module.
            .chain(index.free_guard_helper_calls())
            .collect();
        let helpers = (!names.is_empty())
            .then(|| AhoCorasick::new(&names).ok())
            .flatten();
        let declarations = DeclarationFinder::new(wanted.iter().copied());
        // What each file called under its guards is known from its first look.
        let relocks = |i: usize| {
            summaries[i]
                .called_under_guard
                .iter()
                .any(|name| index.is_locking_name(name))
        };
        let held_declarations = DeclarationFinder::new(held_calls.iter().copied());
        if helpers.is_none()
            && declarations.is_none()
            && held_declarations.is_none()
            && !hands_off
            && !members.iter().any(|&i| relocks(i))
        {
            return Vec::new();
        }
        let calls_an_indexed_method =
            |i: usize, text: &str| relocks(i) || helpers.as_ref().is_some_and(|f| calls(f, text));
        // Each member's text once: whether it calls an indexed method; for files the first look
        // did not parse, the struct names they declare (which make a name ambiguous) and the
        // return types of the wanted functions they declare.
        let scanned: Vec<Scanned> = members
            .par_iter()
            .filter_map(|&i| {
                let text = read(i)?;
                let unsummarised = summaries[i].is_empty();
                let declares_wanted = declarations.as_ref().is_some_and(|f| f.is_match(&text));
                Some(Scanned {
                    position: i,
                    calls: lock_facts && calls_an_indexed_method(i, &text),
                    structs: if unsummarised {
                        struct_names_in_text(&text)
                    } else {
                        Vec::new()
                    },
                    types: if unsummarised {
                        types_in_text(&text)
                    } else {
                        Vec::new()
                    },
                    returns: if unsummarised && declares_wanted {
                        returns_owned_in_text(&text, &wanted)
                    } else {
                        Vec::new()
                    },
                    functions: if hands_off {
                        function_names_in_text(&text)
                    } else {
                        Vec::new()
                    },
                    held_declared: match &held_declarations {
                        Some(finder) => finder.find_iter(&text).collect(),
                        None => Vec::new(),
                    },
                })
            })
            .collect();
        let mut callers = Vec::new();
        let mut declared: HashMap<usize, Vec<String>> = HashMap::new();
        let mut held_declared: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        for scanned in &scanned {
            for &(name, at) in &scanned.held_declared {
                held_declared
                    .entry(name)
                    .or_default()
                    .push((scanned.position, at));
            }
        }
        index.add_blocking_functions(blocking_declared(&held_declared, &read));
        for scanned in scanned {
            if !scanned.functions.is_empty() {
                declared.insert(scanned.position, scanned.functions);
            }
            index.add_unsummarised_structs(scanned.structs);
            index.add_types(scanned.types);
            index.add_returns(&scanned.returns);
            if scanned.calls {
                callers.push(scanned.position);
            }
        }
        // A file whose guard lends the result of a method another file declares owned (its
        // summary already left out the names the standard library decides).
        callers.extend(summarised.iter().copied().filter(|&i| {
            summaries[i]
                .called_on_guards
                .iter()
                .any(|name| index.returns_owned(name) == Some(true))
        }));
        // Calls handed a locked value (or its owner) under a guard, followed through the
        // package's functions to an acquisition of the same lock.
        let mut asked: Vec<HandOff> = summarised
            .iter()
            .flat_map(|&i| summaries[i].hand_offs.iter().cloned())
            .collect();
        asked.sort();
        asked.dedup();
        if !asked.is_empty() {
            index.add_handed_locks(follow_hand_offs(&declared, &asked, displays, &read));
            callers.extend(
                summarised
                    .iter()
                    .copied()
                    .filter(|&i| index.locks_some_hand_off(&summaries[i].hand_offs)),
            );
        }
        // A file that calls, under a guard, a function of the crate that blocks.
        callers.extend(
            summarised
                .iter()
                .copied()
                .filter(|&i| index.calls_blocking_function(&summaries[i].called_while_held)),
        );
        callers.sort_unstable();
        callers.dedup();
        let index = Arc::new(index);
        callers.into_iter().map(|i| (i, index.clone())).collect()
    };
    let mut to_apply: Vec<(usize, Arc<CrateIndex>)> = packages
        .into_values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(per_package)
        .collect();
    to_apply.sort_by_key(|(i, _)| *i);
    to_apply
}

/// Whether `text` calls one of the names `finder` looks for (`name(`, `name::<`, `module::name()`):
/// a match that is the tail of a longer name (`read_buf(` for `buf(`) or the name's own
/// declaration (`fn name(`) is no call.
fn calls(finder: &AhoCorasick, text: &str) -> bool {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // Most files name no helper at all: the plain search says so fastest.
    finder.is_match(text)
        && finder.find_overlapping_iter(text).any(|found| {
            let before = &text.as_bytes()[..found.start()];
            let declared = before
                .trim_ascii_end()
                .strip_suffix(b"fn")
                .is_some_and(|rest| rest.last().is_none_or(|&b| !is_ident(b)));
            before.last().is_none_or(|&b| !is_ident(b)) && !declared
        })
}

/// What one member's text says to its package's index.
struct Scanned<'a> {
    position: usize,
    /// It calls a method of the index that returns a guard or locks.
    calls: bool,
    /// Struct names it declares, when the first look did not parse it.
    structs: Vec<String>,
    /// Structs and enums it declares and whether each derives `Clone`, likewise.
    types: Vec<(String, bool)>,
    /// Return types of the functions it declares that guards' methods call, likewise.
    returns: Vec<(String, bool)>,
    /// The names of the functions it declares, when its package has hand-offs to follow.
    functions: Vec<String>,
    /// The functions it declares that are called under guards: each name with the offset of its
    /// `fn`.
    held_declared: Vec<(&'a str, usize)>,
}

/// What the package's functions do with `asked`, round by round: the files declaring a function
/// a hand-off names are parsed, each declaration says whether it locks what it was handed or hands
/// it on, and the calls it hands it on to are asked next, up to [`MAX_HOPS`] calls deep.
fn follow_hand_offs(
    declared: &HashMap<usize, Vec<String>>,
    asked: &[HandOff],
    displays: &[&str],
    read: &(impl Fn(usize) -> Option<String> + Sync),
) -> HashMap<HandOff, HandedLock> {
    use rayon::prelude::*;
    let mut answers: HashMap<HandOff, Vec<(String, Answer)>> = HashMap::new();
    let mut seen: HashSet<HandOff> = asked.iter().cloned().collect();
    let mut frontier: Vec<HandOff> = asked.to_vec();
    // How many members declare each function name: one declared in two files answers nothing
    // (which one runs needs types), so neither file is parsed for it.
    let mut declaring: HashMap<&str, usize> = HashMap::new();
    for functions in declared.values() {
        for name in functions {
            *declaring.entry(name.as_str()).or_default() += 1;
        }
    }
    for _ in 0..MAX_HOPS {
        frontier.retain(|h| declaring.get(h.name.as_str()) == Some(&1));
        let names: HashSet<&str> = frontier.iter().map(|h| h.name.as_str()).collect();
        // Only the members that declare a name asked about are read (again) and parsed.
        let readers: Vec<usize> = declared
            .iter()
            .filter(|(_, functions)| functions.iter().any(|f| names.contains(f.as_str())))
            .map(|(&i, _)| i)
            .collect();
        if readers.is_empty() {
            break;
        }
        let mut found: Vec<(usize, Vec<(HandOff, Answer)>)> = readers
            .par_iter()
            .filter_map(|&i| Some((i, answers_in_text(&read(i)?, &frontier))))
            .collect();
        // The answers' order decides nothing, but the run should not depend on a map's order.
        found.sort_by_key(|(i, _)| *i);
        let mut next = Vec::new();
        for (i, list) in found {
            for (hand_off, answer) in list {
                if let Answer::HandsOn(onward) = &answer {
                    next.extend(onward.iter().filter(|h| seen.insert((*h).clone())).cloned());
                }
                answers
                    .entry(hand_off)
                    .or_default()
                    .push((displays[i].to_string(), answer));
            }
        }
        frontier = next;
    }
    resolve(asked, &answers)
}

/// What the functions declared in the package among the names called under guards do, from
/// where each is declared (`declared`: name → member and offset of each `fn name(`). A name
/// declared twice in the package stands for neither and is not looked at; a declaration is parsed
/// on its own, and only when its file and its own text may make a blocking call.
fn blocking_declared(
    declared: &HashMap<&str, Vec<(usize, usize)>>,
    read: &(impl Fn(usize) -> Option<String> + Sync),
) -> Vec<(String, Option<&'static CallPattern<Blocking>>)> {
    use rayon::prelude::*;
    let once: Vec<(&str, usize, usize)> = declared
        .iter()
        .filter_map(|(name, at)| match at.as_slice() {
            [(position, at)] => Some((*name, *position, *at)),
            _ => None,
        })
        .collect();
    once.into_par_iter()
        .filter_map(|(name, position, at)| {
            let text = read(position)?;
            let blocks = (may_block(&text) && function_text_may_block(&text, at))
                .then(|| function_at_blocks(&text, at))
                .flatten();
            Some((name.to_string(), blocks))
        })
        .collect()
}

/// The package directory of each file, with the answers for directories cached.
#[derive(Default)]
struct PackageRoots {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl PackageRoots {
    fn root_of(&mut self, file: &Path) -> Option<PathBuf> {
        let dir = file.parent()?.to_path_buf();
        self.root_of_dir(&dir)
    }

    fn root_of_dir(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.by_dir.get(dir) {
            return known.clone();
        }
        let root = if dir.join("Cargo.toml").is_file() {
            Some(dir.to_path_buf())
        } else {
            dir.parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .and_then(|parent| self.root_of_dir(parent))
        };
        self.by_dir.insert(dir.to_path_buf(), root.clone());
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_is_called_only_by_its_whole_name_outside_its_declaration() {
        let finder = AhoCorasick::new(["buf(", "buf::<", "data::get()"]).unwrap();
        for call in [
            "let b = self.buf();",
            "w.buf::<u8>()",
            "buf(x)",
            "let g = data::get();",
            "fn f() {}\nfn g(&self) { self.buf().push(1) }",
            // A longer name's tail first, then the call.
            "read_buf(); s.buf()",
        ] {
            assert!(calls(&finder, call), "{call}");
        }
        for not_a_call in [
            "fn buf(&self) -> MutexGuard<'_, Vec<u8>> { self.b.lock().unwrap() }",
            "pub async fn\n    buf(&self) {}",
            "self.read_buf(); my_data::get()",
        ] {
            assert!(!calls(&finder, not_a_call), "{not_a_call}");
        }
    }

    #[test]
    fn files_share_a_package_with_the_nearest_manifest_above_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/src/m")).unwrap();
        std::fs::create_dir_all(root.join("a/b/src")).unwrap();
        std::fs::create_dir_all(root.join("loose")).unwrap();
        std::fs::write(root.join("a/Cargo.toml"), "").unwrap();
        std::fs::write(root.join("a/b/Cargo.toml"), "").unwrap();
        let mut roots = PackageRoots::default();
        assert_eq!(
            roots.root_of(&root.join("a/src/m/x.rs")),
            Some(root.join("a"))
        );
        assert_eq!(
            roots.root_of(&root.join("a/src/y.rs")),
            Some(root.join("a"))
        );
        assert_eq!(
            roots.root_of(&root.join("a/b/src/z.rs")),
            Some(root.join("a/b"))
        );
        // A temp dir has no manifest above it.
        assert_eq!(roots.root_of(&root.join("loose/w.rs")), None);
    }
}
