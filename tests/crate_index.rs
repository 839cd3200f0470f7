//! The crate index across the files of one package: a guard-returning getter in one file, the
//! loop that holds its guard while calling a method that locks again in another.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const STATS: &str = "use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard};

pub struct Status {
    inputs: RwLock<BTreeMap<u64, bool>>,
}

impl Status {
    pub fn inputs(&self) -> RwLockReadGuard<'_, BTreeMap<u64, bool>> {
        self.inputs.read().unwrap()
    }

    pub fn paused(&self, id: &u64) -> bool {
        self.inputs.read().unwrap().get(id).copied().unwrap_or(false)
    }
}
";

const CONTROLLER: &str = "use std::sync::Arc;

use crate::stats::Status;

pub struct Controller {
    status: Arc<Status>,
}

pub fn backpressure(controller: Arc<Controller>) {
    for (id, _) in controller.status.inputs().iter() {
        if controller.status.paused(id) {
            println!(\"{id}\");
        }
    }
}
";

fn package(dir: &Path, manifest: bool) {
    fs::create_dir_all(dir.join("src")).unwrap();
    if manifest {
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
    }
    fs::write(
        dir.join("src/lib.rs"),
        "pub mod controller;\npub mod stats;\n",
    )
    .unwrap();
    fs::write(dir.join("src/stats.rs"), STATS).unwrap();
    fs::write(dir.join("src/controller.rs"), CONTROLLER).unwrap();
    // Not Rust, but named like it (a code generator's template): it mentions `inputs(` and has
    // no lock, so the first look skips it and the index must not make it an error.
    fs::write(
        dir.join("src/template.rs"),
        "{{ for x in inputs() }} {{ end }}\n",
    )
    .unwrap();
}

/// A package at `root` whose `lib.rs` declares each `(module, source)` as `src/<module>.rs`.
fn modules(root: &Path, modules: &[(&str, &str)]) {
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    let lib: String = modules
        .iter()
        .map(|(name, _)| format!("pub mod {name};\n"))
        .collect();
    fs::write(root.join("src/lib.rs"), lib).unwrap();
    for (name, source) in modules {
        fs::write(root.join(format!("src/{name}.rs")), source).unwrap();
    }
}

fn scan(dir: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(["--dry-run", "--semantic", "off", "--format", "json", "."])
        .current_dir(dir)
        .output()
        .expect("lockfix runs");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("JSON output: {output:?}"))
}

#[test]
fn a_relock_through_another_files_getter_is_found_in_a_package() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), true);
    let json = scan(dir.path());
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    assert_eq!(findings[0]["path"], "src/controller.rs");
    assert_eq!(findings[0]["line"], 10);
    assert_eq!(findings[0]["rule"], "read-then-write");
    let labels = findings[0]["labels"].to_string();
    assert!(labels.contains("src/stats.rs:14"), "{labels}");
    assert_eq!(json["errors"], Value::Array(Vec::new()), "{json:#}");
}

#[test]
fn loose_files_without_a_manifest_get_no_index() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), false);
    let json = scan(dir.path());
    assert_eq!(json["findings"], Value::Array(Vec::new()), "{json:#}");
}

/// `cache.rs`: a method that waits on a channel, in a file that takes no lock, and one of the same
/// name declared twice elsewhere would make it ambiguous.
const CACHE: &str = "use std::sync::mpsc::Receiver;

pub enum Item {
    Ready(u64),
    Promise(Receiver<u64>),
}

impl Item {
    pub fn wait_value(self) -> Result<u64, String> {
        match self {
            Item::Ready(v) => Ok(v),
            Item::Promise(rx) => rx.recv().map_err(|e| e.to_string()),
        }
    }

    pub fn peek(&self) -> Option<u64> {
        match self {
            Item::Ready(v) => Some(*v),
            Item::Promise(_) => None,
        }
    }
}
";

/// `chain.rs`: holds a write guard while calling `wait_value` on an item from the guarded map.
const CHAIN: &str = "use std::collections::HashMap;
use std::sync::Mutex;

use crate::cache::Item;

pub struct Chain {
    items: Mutex<HashMap<u64, Item>>,
}

impl Chain {
    pub fn value(&self, id: u64) -> Result<u64, String> {
        let mut items = self.items.lock().unwrap();
        match items.remove(&id) {
            Some(item) => item.wait_value(),
            None => Ok(0),
        }
    }

    pub fn peek(&self, id: u64) -> Option<u64> {
        let items = self.items.lock().unwrap();
        items.get(&id).and_then(|item| item.peek())
    }
}
";

#[test]
fn a_call_that_blocks_in_another_files_body_is_blocking_work_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    modules(root, &[("cache", CACHE), ("chain", CHAIN)]);
    let json = scan(root);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    assert_eq!(findings[0]["path"], "src/chain.rs");
    assert_eq!(findings[0]["line"], 12);
    assert_eq!(findings[0]["rule"], "guard-across-blocking");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(message.contains("waiting for a message"), "{message}");
    assert!(message.contains("wait_value"), "{message}");

    // A second `fn wait_value` in the crate: which one runs needs types, so nothing is reported.
    fs::write(
        root.join("src/other.rs"),
        "pub struct Other;\nimpl Other {\n    pub fn wait_value(self) -> Result<u64, String> {\n        Ok(1)\n    }\n}\n",
    )
    .unwrap();
    let json = scan(root);
    assert_eq!(json["findings"], Value::Array(Vec::new()), "{json:#}");
}

/// `experiment.rs`: the experiment owns the lock; listing its crates hands `self` on.
const EXPERIMENT: &str = "use std::collections::HashMap;
use std::sync::Mutex;

use crate::lists::Krate;

pub struct Experiment {
    pub shas: Mutex<HashMap<String, String>>,
    pub crates: Vec<Krate>,
}

impl Experiment {
    pub fn listed(&self) -> Vec<String> {
        self.crates.iter().map(|c| c.resolve_sha(self)).collect()
    }
}
";

/// `lists.rs`: a crate's commit is looked up under the experiment's `shas` lock.
const LISTS: &str = "use crate::experiment::Experiment;

pub struct Krate {
    pub url: String,
}

impl Krate {
    pub fn resolve_sha(&self, ex: &Experiment) -> String {
        ex.shas.lock().unwrap().get(&self.url).cloned().unwrap_or_default()
    }
}
";

/// `report.rs`: the report holds `ex.shas` while writing the logs, which list the crates.
const REPORT: &str = "use crate::experiment::Experiment;

fn write_logs(ex: &Experiment) -> usize {
    ex.listed().len()
}

pub fn generate(ex: &Experiment) -> usize {
    let shas = ex.shas.lock().unwrap();
    let known = shas.len();
    known + write_logs(ex)
}

pub fn generate_released(ex: &Experiment) -> usize {
    let known = ex.shas.lock().unwrap().len();
    known + write_logs(ex)
}
";

#[test]
fn a_lock_handed_on_through_calls_of_other_files_is_a_relock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    modules(
        root,
        &[
            ("experiment", EXPERIMENT),
            ("lists", LISTS),
            ("report", REPORT),
        ],
    );
    let json = scan(root);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    assert_eq!(findings[0]["path"], "src/report.rs");
    assert_eq!(findings[0]["line"], 8);
    assert_eq!(findings[0]["rule"], "read-then-write");
    let labels = findings[0]["labels"].to_string();
    assert!(labels.contains("src/lists.rs:9"), "{labels}");
}

/// `store.rs`: a free function that returns the write guard of a static lock.
const STORE: &str = "use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

static PREVIEWS: OnceLock<Mutex<BTreeMap<String, String>>> = OnceLock::new();

pub fn get() -> MutexGuard<'static, BTreeMap<String, String>> {
    PREVIEWS.get_or_init(Default::default).lock().unwrap()
}
";

/// `render.rs`: one function holds the guard of `store::get()` across a fetch; the other copies
/// what it needs and releases the guard at the `;`. `get()` of a map is no acquisition.
const RENDER: &str = "use std::collections::HashMap;

use crate::store;

async fn fetch(url: &str) -> String {
    url.to_string()
}

pub async fn preview(url: &str) -> String {
    let mut previews = store::get();
    if let Some(title) = previews.get(url) {
        return title.clone();
    }
    let title = fetch(url).await;
    previews.insert(url.to_string(), title.clone());
    title
}

pub async fn preview_released(url: &str, local: &HashMap<String, String>) -> String {
    let known = store::get().get(url).cloned();
    if let Some(title) = known.or_else(|| local.get(url).cloned()) {
        return title;
    }
    let title = fetch(url).await;
    store::get().insert(url.to_string(), title.clone());
    title
}
";

#[test]
fn a_free_function_of_another_file_that_returns_a_guard_is_an_acquisition() {
    let dir = tempfile::tempdir().unwrap();
    modules(dir.path(), &[("store", STORE), ("render", RENDER)]);
    let json = scan(dir.path());
    let findings: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let render = |line: u64, rule: &str| ("src/render.rs".to_string(), line, rule.to_string());
    assert_eq!(
        findings,
        vec![
            render(10, "guard-across-await"),
            render(10, "std-lock-in-async")
        ],
        "{json:#}"
    );
    assert_eq!(json["errors"], Value::Array(Vec::new()), "{json:#}");
}

#[test]
fn a_free_function_that_returns_a_guard_is_called_again_to_lock_again() {
    // `preview` checks, fetches, then stores: two lock scopes, the second calling `store::get()`
    // again (the function is the lock, as zine's `data::get()` was in PR #68).
    let dir = tempfile::tempdir().unwrap();
    modules(dir.path(), &[("store", STORE), ("render", RENDER)]);
    let json = scan(dir.path());
    let await_finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "guard-across-await")
        .expect("the hold across the fetch is reported");
    assert_eq!(await_finding["fix"]["applicability"], "unsafe", "{json:#}");
    let diff = await_finding["fix"]["diff"].as_str().unwrap_or_default();
    assert!(
        diff.contains("+        let previews = store::get();\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+        let mut previews = store::get();\n"),
        "{diff}"
    );
    assert!(
        await_finding["fix"]["title"]
            .to_string()
            .contains("no longer atomic"),
        "{json:#}"
    );
}

const HANDLES: &str = "use std::any::Any;

use dashmap::DashMap;
use dashmap::mapref::one::MappedRef;

pub trait Slot: Any + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

pub struct Hub {
    slots: DashMap<u64, Box<dyn Slot>>,
}

impl Hub {
    pub fn fetch<T: Slot>(&self, id: u64) -> Option<MappedRef<'_, u64, Box<dyn Slot>, T>> {
        self.slots.get(&id)?.try_map(|s| s.as_any().downcast_ref::<T>()).ok()
    }

    pub fn keep<T: Slot>(&self, id: u64, slot: T) {
        self.slots.insert(id, Box::new(slot));
    }
}
";

const DEVICES: &str = "use std::any::Any;

use crate::handles::Slot;

#[derive(Clone)]
pub struct Lamp {
    pub watts: u32,
}

pub struct Fan {
    pub watts: u32,
}

impl Slot for Lamp {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Slot for Fan {
    fn as_any(&self) -> &dyn Any {
        self
    }
}
";

const WIRING: &str = "use crate::devices::{Fan, Lamp};
use crate::handles::Hub;

pub fn twin_lamp(hub: &Hub, id: u64, twin: u64) -> Option<u32> {
    let lamp = hub.fetch::<Lamp>(id)?;
    hub.keep(twin, Lamp { watts: lamp.watts });
    Some(lamp.watts)
}

pub fn twin_fan(hub: &Hub, id: u64, twin: u64) -> Option<u32> {
    let fan = hub.fetch::<Fan>(id)?;
    hub.keep(twin, Fan { watts: fan.watts });
    Some(fan.watts)
}
";

#[test]
fn a_reference_from_another_files_helper_is_cloned_out_when_the_crate_shows_its_type_is_clone() {
    let dir = tempfile::tempdir().unwrap();
    modules(
        dir.path(),
        &[
            ("handles", HANDLES),
            ("devices", DEVICES),
            ("wiring", WIRING),
        ],
    );
    let json = scan(dir.path());
    let findings: Vec<(u64, String, Value)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "src/wiring.rs")
        .map(|f| {
            let replacements = f["fix"]["edits"]
                .as_array()
                .map(|edits| edits.iter().map(|e| e["replacement"].clone()).collect())
                .unwrap_or_default();
            (
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
                Value::Array(replacements),
            )
        })
        .collect();
    // `Lamp` derives `Clone` in another file: the reference becomes a clone of the lamp. `Fan`
    // does not: no fix.
    assert_eq!(
        findings,
        vec![
            (
                5,
                "read-then-write".to_string(),
                serde_json::json!([".clone()"])
            ),
            (11, "read-then-write".to_string(), serde_json::json!([])),
        ],
        "{json:#}"
    );
    assert_eq!(json["errors"], Value::Array(Vec::new()), "{json:#}");
}

const PROMISES: &str = "use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

pub struct Promises {
    pending: HashMap<u64, Arc<Receiver<u64>>>,
}

impl Promises {
    /// Owned: a clone of the entry's `Arc`.
    pub fn get(&mut self, epoch: u64) -> Option<Arc<Receiver<u64>>> {
        self.pending.get(&epoch).cloned()
    }

    pub fn promise(&mut self, epoch: u64, ready: Receiver<u64>) {
        self.pending.insert(epoch, Arc::new(ready));
    }
}
";

const COMMITTEES: &str = "use std::sync::Mutex;
use std::sync::mpsc::channel;

use crate::promises::Promises;

pub struct Committees {
    promises: Mutex<Promises>,
}

impl Committees {
    pub fn committee(&self, epoch: u64) -> u64 {
        let mut promises = self.promises.lock().unwrap();
        if let Some(ready) = promises.get(epoch) {
            ready.recv().unwrap_or_default()
        } else {
            let (tx, rx) = channel();
            promises.promise(epoch, rx);
            drop(promises);
            let _ = tx.send(epoch * 2);
            epoch * 2
        }
    }
}
";

#[test]
fn the_guarded_types_own_method_in_another_file_says_its_result_is_owned() {
    // `get` alone reads as a map's borrowing `get`; `Promises::get`, declared in a file with no
    // lock, returns an owned `Arc`: the guard can be dropped before the wait in the hit branch.
    let dir = tempfile::tempdir().unwrap();
    modules(
        dir.path(),
        &[("promises", PROMISES), ("committees", COMMITTEES)],
    );
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args([
            "--dry-run",
            "--semantic",
            "off",
            "--unsafe-fixes",
            "--format",
            "json",
            ".",
        ])
        .current_dir(dir.path())
        .output()
        .expect("lockfix runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    assert_eq!(findings[0]["rule"], "guard-across-blocking", "{json:#}");
    let fix = findings[0]["fix"].to_string();
    assert!(fix.contains("drop(promises)"), "{json:#}");
}
