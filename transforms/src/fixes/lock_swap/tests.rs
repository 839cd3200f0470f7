//! Tests of the whole swap, through `plan_swap` and `apply`: each plans a swap over one or more
//! files and checks the text afterwards, the blocking sites, or the sentence of a refusal.

use super::*;

/// One test file: its path and text.
type Source<'a> = (&'a str, &'a str);

/// The range of `name` inside each occurrence of `context` in `text`.
fn every(text: &str, context: &str, name: &str) -> Vec<TextRange> {
    let inner = context.find(name).expect("the name is inside its context");
    let found: Vec<TextRange> = text
        .match_indices(context)
        .map(|(start, _)| {
            let start = (start + inner) as u32;
            TextRange::new(start.into(), (start + name.len() as u32).into())
        })
        .collect();
    assert!(!found.is_empty(), "`{context}` is not in the text");
    found
}

/// Where: file index, a context that occurs in it, and the name inside that context.
type Marker<'a> = (usize, &'a str, &'a str);

fn sites(sources: &[Source<'_>], markers: &[Marker<'_>]) -> Vec<Site> {
    markers
        .iter()
        .flat_map(|&(file, context, name)| {
            every(sources[file].1, context, name)
                .into_iter()
                .map(move |range| Site { file, range })
        })
        .collect()
}

/// The request's files: each source as edition-2021 Rust.
fn swap_files<'a>(sources: &[Source<'a>]) -> Vec<SwapFile<'a>> {
    sources
        .iter()
        .map(|&(path, text)| SwapFile {
            path,
            text,
            edition: Edition::Edition2021,
        })
        .collect()
}

/// Plan the swap and apply it: every file's text afterwards, and the blocking sites.
fn swap(
    sources: &[Source<'_>],
    lock_type: &str,
    declaration: Marker<'_>,
    references: &[Marker<'_>],
    called_from_async: &[Marker<'_>],
) -> Result<(Vec<String>, Vec<Site>), String> {
    let files = swap_files(sources);
    let request = SwapRequest {
        files: &files,
        declaration: sites(sources, &[declaration])[0],
        lock_type,
        references: sites(sources, references),
        called_from_async: sites(sources, called_from_async)
            .into_iter()
            .map(|site| AsyncCaller {
                site,
                route: String::new(),
            })
            .collect(),
        async_chain: Ok(AsyncChain::default()),
    };
    let plan = plan_swap(&request)?;
    let mut out: Vec<String> = sources.iter().map(|s| s.1.to_string()).collect();
    for (file, edits) in &plan.edits {
        out[*file] = apply(sources[*file].1, edits);
    }
    Ok((out, plan.blocking_sites))
}

#[test]
fn field_and_struct_literal_in_another_file_with_imports_rewritten() {
    let state = "\
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Manager {
    pub contexts: RwLock<HashMap<String, u32>>,
    pub shared: Arc<u8>,
}

impl Manager {
    pub async fn get(&self, id: &str) -> Option<u32> {
        self.contexts.read().unwrap().get(id).copied()
    }
}
";
    let build = "\
use std::sync::{Arc, RwLock};

use crate::state::Manager;

pub fn build() -> Manager {
    Manager {
        contexts: RwLock::new(HashMap::new()),
        shared: Arc::new(0),
    }
}
";
    let sources = [("src/state.rs", state), ("src/build.rs", build)];
    let (out, blocking) = swap(
        &sources,
        "RwLock",
        (
            0,
            "RwLock<HashMap<String, u32>>",
            "RwLock<HashMap<String, u32>>",
        ),
        &[(0, ".contexts.", "contexts"), (1, "contexts:", "contexts")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::RwLock;

pub struct Manager {
    pub contexts: RwLock<HashMap<String, u32>>,
    pub shared: Arc<u8>,
}

impl Manager {
    pub async fn get(&self, id: &str) -> Option<u32> {
        self.contexts.read().await.get(id).copied()
    }
}
"
    );
    assert_eq!(
        out[1],
        "\
use std::sync::Arc;
use tokio::sync::RwLock;

use crate::state::Manager;

pub fn build() -> Manager {
    Manager {
        contexts: RwLock::new(HashMap::new()),
        shared: Arc::new(0),
    }
}
"
    );
    assert!(blocking.is_empty());
}

#[test]
fn async_unwrap_shapes_await_and_another_std_lock_keeps_the_import() {
    let src = "\
use std::sync::RwLock;

pub struct S {
    a: RwLock<u8>,
    b: RwLock<u8>,
}

async fn shapes(s: &S) -> Result<u8, String> {
    let x = *s.a.read().unwrap();
    *s.a.write().expect(\"poisoned\") += 1;
    let y = *s.a
        .read()
        .map_err(|e| e.to_string())?;
    let z = *s.a.read().unwrap_or_else(|e| e.into_inner());
    if let Ok(g) = s.a.try_read() {
        drop(g);
    }
    Ok(x + y + z + *s.b.read().unwrap())
}

fn reset(s: &mut S) {
    *s.a.get_mut().unwrap() = 0;
}

fn take(s: S) -> u8 {
    s.a.into_inner().expect(\"poisoned\")
}

fn make() -> S {
    S { a: RwLock::new(0), b: RwLock::new(0) }
}
";
    let (out, blocking) = swap(
        &[("src/s.rs", src)],
        "RwLock",
        (0, "a: RwLock<u8>", "RwLock<u8>"),
        &[(0, "s.a", "a"), (0, "S { a:", "a")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
use std::sync::RwLock;

pub struct S {
    a: tokio::sync::RwLock<u8>,
    b: RwLock<u8>,
}

async fn shapes(s: &S) -> Result<u8, String> {
    let x = *s.a.read().await;
    *s.a.write().await += 1;
    let y = *s.a
        .read().await;
    let z = *s.a.read().await;
    if let Ok(g) = s.a.try_read() {
        drop(g);
    }
    Ok(x + y + z + *s.b.read().unwrap())
}

fn reset(s: &mut S) {
    *s.a.get_mut() = 0;
}

fn take(s: S) -> u8 {
    s.a.into_inner()
}

fn make() -> S {
    S { a: tokio::sync::RwLock::new(0), b: RwLock::new(0) }
}
"
    );
    assert!(blocking.is_empty());
}

#[test]
fn if_let_ok_becomes_a_block_and_arc_new_is_looked_into() {
    let src = "\
use std::sync::{Arc, RwLock};

pub struct Tracker {
    active: Arc<RwLock<Option<String>>>,
}

impl Tracker {
    pub fn new() -> Self {
        Self {
            active: Arc::new(RwLock::new(None)),
        }
    }

    pub async fn update(&self, id: &str) -> Result<(), String> {
        if let Ok(mut active) = self.active.write() {
            // Replace the active id
            *active = Some(id.to_string());

            save(id).await;
            Ok(())
        } else {
            Err(\"poisoned\".to_string())
        }
    }

    pub fn spawn_tick(self: Arc<Self>) {
        tokio::spawn(async move {
            if let Ok(_) = self.active.read() { tick().await; }
        });
    }
}
";
    let (out, blocking) = swap(
        &[("src/tracker.rs", src)],
        "RwLock",
        (
            0,
            "Arc<RwLock<Option<String>>>",
            "Arc<RwLock<Option<String>>>",
        ),
        &[(0, ".active.", "active"), (0, "active: Arc::new", "active")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
use std::sync::Arc;
use tokio::sync::RwLock;

pub struct Tracker {
    active: Arc<RwLock<Option<String>>>,
}

impl Tracker {
    pub fn new() -> Self {
        Self {
            active: Arc::new(RwLock::new(None)),
        }
    }

    pub async fn update(&self, id: &str) -> Result<(), String> {
        let mut active = self.active.write().await;
        // Replace the active id
        *active = Some(id.to_string());

        save(id).await;
        Ok(())
    }

    pub fn spawn_tick(self: Arc<Self>) {
        tokio::spawn(async move {
            { let _guard = self.active.read().await; tick().await; }
        });
    }
}
"
    );
    assert!(blocking.is_empty());
}

const CACHE: &str = "\
use std::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub fn record(&self) {
        *self.hits.lock().unwrap() += 1;
    }

    pub fn reset(&self) {
        if let Ok(mut hits) = self.hits.lock() {
            *hits = 0;
        }
    }

    pub async fn hits(&self) -> u64 {
        *self.hits.lock().unwrap()
    }
}
";

#[test]
fn sync_use_sites_block_and_are_reported() {
    let (out, blocking) = swap(
        &[("src/cache.rs", CACHE)],
        "Mutex",
        (0, "Mutex<u64>", "Mutex<u64>"),
        &[(0, ".hits.", "hits")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
use tokio::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub fn record(&self) {
        *self.hits.blocking_lock() += 1;
    }

    pub fn reset(&self) {
        let mut hits = self.hits.blocking_lock();
        *hits = 0;
    }

    pub async fn hits(&self) -> u64 {
        *self.hits.lock().await
    }
}
"
    );
    let lines: Vec<usize> = blocking
        .iter()
        .map(|s| CACHE[..usize::from(s.range.start())].matches('\n').count() + 1)
        .collect();
    assert_eq!(lines, [9, 13]);
}

#[test]
fn sync_function_called_from_async_is_refused() {
    let error = swap(
        &[("src/cache.rs", CACHE)],
        "Mutex",
        (0, "Mutex<u64>", "Mutex<u64>"),
        &[(0, ".hits.", "hits")],
        &[(0, "fn record", "record")],
    )
    .expect_err("blocking_lock would panic");
    assert_eq!(
        error,
        "`record` is not async but is called from async code, where `blocking_*` would panic at src/cache.rs:9"
    );
}

#[test]
fn sync_function_reached_from_async_code_through_others_is_refused_with_the_route() {
    let sources = [("src/cache.rs", CACHE)];
    let files = swap_files(&sources);
    let request = SwapRequest {
        files: &files,
        declaration: sites(&sources, &[(0, "Mutex<u64>", "Mutex<u64>")])[0],
        lock_type: "Mutex",
        references: sites(&sources, &[(0, ".hits.", "hits")]),
        called_from_async: vec![AsyncCaller {
            site: sites(&sources, &[(0, "fn record", "record")])[0],
            route: "`run` (examples/demo.rs:7) → `tick` (src/lib.rs:12)".to_string(),
        }],
        async_chain: Ok(AsyncChain::default()),
    };
    let error = plan_swap(&request).expect_err("blocking_lock would panic");
    assert_eq!(
        error,
        "`record` is not async but async code reaches it through `run` (examples/demo.rs:7) → `tick` \
         (src/lib.rs:12) → `record`, where `blocking_*` would panic at src/cache.rs:9"
    );
}

/// Seed 002's maintainers' remedy: the synchronous function async code reaches becomes
/// `async fn`, locks with `.await`, and its callers await it; a sync caller that is itself in
/// the chain becomes async too.
#[test]
fn a_chain_async_code_reaches_becomes_async_and_is_awaited() {
    let lib = "\
use std::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub fn record(&self) {
        *self.hits.lock().unwrap() += 1;
    }

    pub unsafe fn tick(&self) {
        self.record();
    }
}

pub async fn run(cache: &Cache) {
    unsafe { cache.tick() };
    println!(\"{}\", 1);
}
";
    let sources = [("src/lib.rs", lib)];
    let files = swap_files(&sources);
    let functions = sites(
        &sources,
        &[(0, "fn record", "record"), (0, "fn tick", "tick")],
    );
    let mut awaits = sites(&sources, &[(0, "self.record()", "self.record()")]);
    awaits.extend(sites(&sources, &[(0, "cache.tick()", "cache.tick()")]));
    let request = SwapRequest {
        files: &files,
        declaration: sites(&sources, &[(0, "Mutex<u64>", "Mutex<u64>")])[0],
        lock_type: "Mutex",
        references: sites(&sources, &[(0, ".hits.", "hits")]),
        called_from_async: vec![AsyncCaller {
            site: functions[0],
            route: "`run` (src/lib.rs:19) → `tick` (src/lib.rs:13)".to_string(),
        }],
        async_chain: Ok(AsyncChain { functions, awaits }),
    };
    let plan = plan_swap(&request).expect("the chain becomes async");
    assert!(plan.blocking_sites.is_empty());
    let (_, edits) = &plan.edits[0];
    assert_eq!(
        apply(lib, edits),
        "\
use tokio::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub async fn record(&self) {
        *self.hits.lock().await += 1;
    }

    pub async unsafe fn tick(&self) {
        self.record().await;
    }
}

pub async fn run(cache: &Cache) {
    unsafe { cache.tick().await };
    println!(\"{}\", 1);
}
"
    );
}

/// Where the chain cannot become async, the refusal says why after the route.
#[test]
fn a_chain_that_cannot_become_async_refuses_with_the_reason() {
    let sources = [("src/cache.rs", CACHE)];
    let files = swap_files(&sources);
    let request = SwapRequest {
        files: &files,
        declaration: sites(&sources, &[(0, "Mutex<u64>", "Mutex<u64>")])[0],
        lock_type: "Mutex",
        references: sites(&sources, &[(0, ".hits.", "hits")]),
        called_from_async: vec![AsyncCaller {
            site: sites(&sources, &[(0, "fn record", "record")])[0],
            route: String::new(),
        }],
        async_chain: Err("`main` is a synchronous `main`".to_string()),
    };
    let error = plan_swap(&request).expect_err("refused");
    assert_eq!(
        error,
        "`record` is not async but is called from async code, where `blocking_*` would panic; it \
         cannot become async: `main` is a synchronous `main` at src/cache.rs:9"
    );
}

#[test]
fn qualified_static_becomes_tokio_with_const_new() {
    let src = "\
static COUNTER: std::sync::Mutex<u8> = std::sync::Mutex::new(0);

async fn bump() {
    *COUNTER.lock().unwrap() += 1;
}
";
    let (out, _) = swap(
        &[("src/counter.rs", src)],
        "Mutex",
        (0, "std::sync::Mutex<u8>", "std::sync::Mutex<u8>"),
        &[(0, "COUNTER.lock", "COUNTER")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
static COUNTER: tokio::sync::Mutex<u8> = tokio::sync::Mutex::const_new(0);

async fn bump() {
    *COUNTER.lock().await += 1;
}
"
    );
}

#[test]
fn parking_lot_lock_has_nothing_to_unwrap() {
    let src = "\
use parking_lot::Mutex;

struct Q { items: Mutex<Vec<u8>> }

async fn push(q: &Q) { q.items.lock().push(1); }
fn len(q: &Q) -> usize { q.items.lock().len() }
fn new_q() -> Q { Q { items: Mutex::new(Vec::new()) } }
";
    let (out, blocking) = swap(
        &[("src/q.rs", src)],
        "Mutex",
        (0, "Mutex<Vec<u8>>", "Mutex<Vec<u8>>"),
        &[(0, ".items.", "items"), (0, "items: Mutex::new", "items")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "\
use tokio::sync::Mutex;

struct Q { items: Mutex<Vec<u8>> }

async fn push(q: &Q) { q.items.lock().await.push(1); }
fn len(q: &Q) -> usize { q.items.blocking_lock().len() }
fn new_q() -> Q { Q { items: Mutex::new(Vec::new()) } }
"
    );
    assert_eq!(blocking.len(), 1);
}

#[test]
fn crlf_and_tabs_are_kept() {
    // Two `if let`s: the first keeps its block (code follows it), the second, the function's
    // value, is flattened.
    let src = "use std::sync::{Arc, Mutex, RwLock};\r\n\r\nstruct S {\r\n\tm: Mutex<u8>,\r\n}\r\n\r\nasync fn f(s: &S) {\r\n\tif let Ok(g) = s.m.lock() {\r\n\t\tuse_it(*g); // keep\r\n\t}\r\n\tif let Ok(g) = s.m.lock() {\r\n\t\tuse_it(*g);\r\n\r\n\t\tdone();\r\n\t}\r\n}\r\n";
    let (out, _) = swap(
        &[("src/crlf.rs", src)],
        "Mutex",
        (0, "Mutex<u8>", "Mutex<u8>"),
        &[(0, "s.m.", "m")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "use std::sync::{Arc, RwLock};\r\nuse tokio::sync::Mutex;\r\n\r\nstruct S {\r\n\tm: Mutex<u8>,\r\n}\r\n\r\nasync fn f(s: &S) {\r\n\t{\r\n\t\tlet g = s.m.lock().await;\r\n\t\tuse_it(*g); // keep\r\n\t}\r\n\tlet g = s.m.lock().await;\r\n\tuse_it(*g);\r\n\r\n\tdone();\r\n}\r\n"
    );
}

/// The reason a one-file swap of `m: Mutex<u8>` is refused, given the body of `async fn f` and
/// where in it `m` is referenced.
fn refused_at(body: &str, reference: &str) -> String {
    let src = format!(
        "use std::sync::Mutex;\n\nstruct S {{\n    m: Mutex<u8>,\n}}\n\nasync fn f(s: &S) {{\n{body}\n}}\n"
    );
    swap(
        &[("src/s.rs", &src)],
        "Mutex",
        (0, "Mutex<u8>", "Mutex<u8>"),
        &[(0, reference, "m")],
        &[],
    )
    .expect_err("the swap is refused")
}

#[test]
fn a_function_returning_the_guard_is_refused() {
    let text = "use std::sync::{Mutex, MutexGuard};\npub struct S { m: Mutex<u8> }\nimpl S {\n    pub fn guard(&self) -> MutexGuard<'_, u8> {\n        self.m.lock().unwrap()\n    }\n}\n";
    let files = [SwapFile {
        path: "src/lib.rs",
        text,
        edition: Edition::Edition2021,
    }];
    let at = |needle: &str, len: usize| {
        let start = text.find(needle).expect("needle") as u32;
        TextRange::new(start.into(), (start + len as u32).into())
    };
    let request = SwapRequest {
        files: &files,
        declaration: Site {
            file: 0,
            range: at("Mutex<u8>", "Mutex<u8>".len()),
        },
        lock_type: "Mutex",
        references: vec![Site {
            file: 0,
            range: at("m.lock", 1),
        }],
        called_from_async: Vec::new(),
        async_chain: Ok(AsyncChain::default()),
    };
    let error = plan_swap(&request).expect_err("refused");
    assert!(error.contains("the function returns the guard"), "{error}");
}

fn refusal(body: &str) -> String {
    refused_at(body, "s.m")
}

#[test]
fn unsupported_shapes_are_refused_with_their_line() {
    assert_eq!(
        refusal("    let g = s.m.lock().ok();"),
        "the result of `.lock()` is used in a shape the swap cannot rewrite (`s.m.lock().ok()`) at src/s.rs:8"
    );
    assert_eq!(
        refusal("    match s.m.lock() {\n        Ok(g) => drop(g),\n        Err(_) => {}\n    }"),
        "the result of `.lock()` is used in a shape the swap cannot rewrite (`match s.m.lock() { Ok(g) => drop(g), Err…`) at src/s.rs:8"
    );
    assert_eq!(
        refusal("    take(&s.m);"),
        "`m` is used as a value (`&s.m`), not locked at src/s.rs:8"
    );
    assert_eq!(
        refusal("    let n = s.m.is_poisoned();"),
        "`m.is_poisoned()` has no tokio counterpart the swap can write at src/s.rs:8"
    );
    assert_eq!(
        refusal("    let v: Vec<u8> = (0..2).map(|_| *s.m.lock().unwrap()).collect();"),
        "a lock call inside a closure (it may run in async code or not) at src/s.rs:8"
    );
    assert_eq!(
        refused_at("    let m = Mutex::new(0);\n    let t = S { m };", "S { m"),
        "cannot find the constructor of `m` (shorthand field) at src/s.rs:9"
    );
}

/// A function's last `if let` whose body holds a string literal across lines keeps its block:
/// flattening would re-indent the literal's text.
#[test]
fn a_multi_line_string_keeps_the_block() {
    let src = "use std::sync::Mutex;\n\nstruct S {\n    m: Mutex<u8>,\n}\n\nasync fn f(s: &S) {\n    if let Ok(g) = s.m.lock() {\n        say(*g, \"one\n    two\");\n    }\n}\n";
    let (out, _) = swap(
        &[("src/s.rs", src)],
        "Mutex",
        (0, "Mutex<u8>", "Mutex<u8>"),
        &[(0, "s.m.", "m")],
        &[],
    )
    .expect("the swap is offered");
    assert_eq!(
        out[0],
        "use tokio::sync::Mutex;\n\nstruct S {\n    m: Mutex<u8>,\n}\n\nasync fn f(s: &S) {\n    {\n        let g = s.m.lock().await;\n        say(*g, \"one\n    two\");\n    }\n}\n"
    );
}
