//! `lockfix server` driven over stdio by a real LSP client (tests/lsp_client): the handshake,
//! diagnostics from the editor's text, code actions whose edits fix the code, configuration,
//! and the inputs a server must survive.

mod lsp_client;

use std::path::Path;

use lsp_client::{Client, apply, edits_for, url};
use serde_json::{Value, json};

/// A std mutex guard held during bcrypt: `guard-across-blocking` with a safe fix.
const LOGIN: &str = include_str!("server_fixtures/login.rs");
/// What `lockfix --apply` makes of it.
const LOGIN_FIXED: &str = include_str!("server_fixtures/login_fixed.rs");

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("login.rs"), LOGIN).unwrap();
    dir
}

fn login_uri(dir: &Path) -> String {
    url(&dir.join("login.rs"))
}

fn whole(text: &str) -> Value {
    let lines = text.lines().count();
    json!({ "start": { "line": 0, "character": 0 }, "end": { "line": lines + 1, "character": 0 } })
}

fn preferred_fix(actions: &[Value]) -> &Value {
    actions
        .iter()
        .find(|action| action["isPreferred"] == true)
        .unwrap_or_else(|| panic!("a preferred quick fix among {actions:#?}"))
}

#[test]
fn diagnostics_code_action_and_clean_after_the_edit() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client = Client::initialized(dir.path(), Value::Null);
    client.open(&uri, LOGIN);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "guard-across-blocking");
    assert_eq!(diagnostic["severity"], 1, "error");
    assert_eq!(diagnostic["source"], "lockfix");
    assert!(
        diagnostic["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/transforms/src/rules/guard_across_blocking.rs"),
        "{diagnostic:#}"
    );
    assert_eq!(
        diagnostic["range"],
        json!({ "start": { "line": 8, "character": 4 }, "end": { "line": 8, "character": 41 } })
    );
    let related = diagnostic["relatedInformation"].as_array().unwrap();
    let messages: Vec<&str> = related
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "last use of the guard",
            "the guard is still held during bcrypt password verification"
        ]
    );
    assert_eq!(related[0]["location"]["uri"], uri.as_str());

    let actions = client.code_actions(&uri, &diagnostic["range"], None);
    let fix = preferred_fix(&actions);
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "guard-across-blocking");
    assert!(
        actions.iter().any(|a| a["title"]
            .as_str()
            .unwrap()
            .contains("// lockfix: ignore[guard-across-blocking]")),
        "{actions:#?}"
    );
    let fixed = apply(LOGIN, edits_for(fix, &uri));
    assert_eq!(fixed, LOGIN_FIXED);
    client.change_full(&uri, 2, &fixed);
    assert_eq!(client.diagnostics(&uri, 2), Vec::<Value>::new());
    // Nothing left to fix: no actions at all.
    assert_eq!(
        client.code_actions(&uri, &whole(&fixed), None),
        Vec::<Value>::new()
    );
    assert!(client.shutdown().success());
}

#[test]
fn incremental_changes_introduce_and_remove_the_bug() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client = Client::initialized(dir.path(), Value::Null);
    client.open(&uri, LOGIN_FIXED);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    // Typing the bug: the guard's scope is dissolved by two ranged edits, as an editor sends them.
    let (fixed_lines, buggy) = (LOGIN_FIXED.lines().collect::<Vec<_>>(), LOGIN);
    let first_changed = fixed_lines
        .iter()
        .zip(buggy.lines())
        .position(|(a, b)| *a != b)
        .unwrap();
    let replace_from = |text: &str, line: usize, with: &str| {
        let lines = text.lines().count();
        json!({
            "range": {
                "start": { "line": line, "character": 0 },
                "end": { "line": lines, "character": 0 },
            },
            "text": with,
        })
    };
    let tail = |text: &str| -> String {
        text.split_inclusive('\n')
            .skip(first_changed)
            .collect::<String>()
    };
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [replace_from(LOGIN_FIXED, first_changed, &tail(LOGIN))],
        }),
    );
    let diagnostics = client.diagnostics(&uri, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "guard-across-blocking");
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 3 },
            "contentChanges": [replace_from(LOGIN, first_changed, &tail(LOGIN_FIXED))],
        }),
    );
    assert_eq!(client.diagnostics(&uri, 3), Vec::<Value>::new());
    // The file on disk was never read: it still has the bug, and the buffer wins.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("login.rs")).unwrap(),
        LOGIN
    );
    assert!(client.shutdown().success());
}

#[test]
fn fix_all_and_suppression_actions() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client = Client::initialized(dir.path(), Value::Null);
    client.open(&uri, LOGIN);
    assert_eq!(client.diagnostics(&uri, 1).len(), 1);
    let actions = client.code_actions(&uri, &whole(LOGIN), Some(&["source.fixAll"]));
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.lockfix");
    let fixed = apply(LOGIN, edits_for(&actions[0], &uri));
    assert_eq!(fixed, LOGIN_FIXED);

    let quickfixes = client.code_actions(&uri, &whole(LOGIN), Some(&["quickfix"]));
    assert!(quickfixes.iter().all(|a| a["kind"] == "quickfix"));
    let suppress = quickfixes
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress"))
        .unwrap();
    let suppressed = apply(LOGIN, edits_for(suppress, &uri));
    assert!(
        suppressed.contains("    // lockfix: ignore[guard-across-blocking]\n    let storage"),
        "{suppressed}"
    );
    client.change_full(&uri, 2, &suppressed);
    assert_eq!(client.diagnostics(&uri, 2), Vec::<Value>::new());
    assert!(client.shutdown().success());
}

#[test]
fn unsafe_fixes_only_when_configured_and_said_in_the_title() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed_000_fluvio/src/lib.rs"),
    )
    .unwrap();
    let path = dir.path().join("lib.rs");
    std::fs::write(&path, &seed).unwrap();
    let uri = url(&path);
    let mut client = Client::initialized(dir.path(), Value::Null);
    client.open(&uri, &seed);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let range = diagnostics[0]["range"].clone();
    let actions = client.code_actions(&uri, &range, None);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 1, "only the suppression: {titles:?}");
    assert!(titles[0].starts_with("Suppress"), "{titles:?}");

    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "lockfix": { "unsafeFixes": true } } }),
    );
    // The settings change re-checks open documents (same version, published again).
    client.diagnostics(&uri, 1);
    let actions = client.code_actions(&uri, &range, None);
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("unsafe"))
        .unwrap_or_else(|| panic!("an unsafe fix: {actions:#?}"));
    assert_eq!(fix["isPreferred"], false);
    assert_eq!(fix["kind"], "quickfix");
    // Fix-all stays safe-only.
    let fix_all = client.code_actions(&uri, &range, Some(&["source.fixAll.lockfix"]));
    assert_eq!(fix_all, Vec::<Value>::new());
    assert!(client.shutdown().success());
}

#[test]
fn configuration_from_lockfix_toml_and_initialization_options() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client =
        Client::initialized(dir.path(), json!({ "ignore": ["guard_across_blocking"] }));
    client.open(&uri, LOGIN);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    assert!(client.shutdown().success());

    std::fs::write(
        dir.path().join("lockfix.toml"),
        "select = [\"guard-across-await\"]\n",
    )
    .unwrap();
    let mut client = Client::initialized(dir.path(), Value::Null);
    client.open(&uri, LOGIN);
    assert_eq!(client.diagnostics(&uri, 1), Vec::<Value>::new());
    // The file changes; saving it tells the server.
    std::fs::write(dir.path().join("lockfix.toml"), "select = []\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": url(&dir.path().join("lockfix.toml")) } }),
    );
    assert_eq!(client.diagnostics(&uri, 1).len(), 1);
    // A broken configuration: the defaults apply and the user is told.
    std::fs::write(dir.path().join("lockfix.toml"), "selct = []\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": url(&dir.path().join("lockfix.toml")), "type": 2 }] }),
    );
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert!(
        diagnostics[1]["message"]
            .as_str()
            .unwrap()
            .contains("unknown key `selct`"),
        "{diagnostics:#?}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn malformed_messages_and_unknown_methods_get_clear_errors() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    {
        let mut client = Client::start(dir.path());
        // Before initialize: "server not initialized".
        let early = client.request("textDocument/codeAction", json!({}));
        assert_eq!(early["error"]["code"], -32002, "{early}");
    }
    let mut client = Client::initialized(dir.path(), Value::Null);
    // Not JSON: a parse error with a null id.
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let parse_error = client.wait_for("a parse error", |m| m["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], Value::Null);
    assert!(
        parse_error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    // JSON but no message: an invalid request, with the id it had.
    client.send(&json!({ "jsonrpc": "2.0", "id": 99, "method": 5 }));
    let invalid = client.wait_for("an invalid request error", |m| m["id"] == 99);
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    // Headers without Content-Length.
    client.send_raw(b"Content-Type: x\r\n\r\n");
    let no_length = client.wait_for("a missing-length error", |m| {
        m["error"]["message"]
            .as_str()
            .is_some_and(|s| s.contains("without Content-Length"))
    });
    assert_eq!(no_length["id"], Value::Null);
    // An unknown method: method not found, named.
    let unknown = client.request("textDocument/hover", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("textDocument/hover")
    );
    // Parameters of the wrong shape: invalid params.
    let bad = client.request("textDocument/codeAction", json!({ "textDocument": 3 }));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // An unknown command.
    let command = client.request(
        "workspace/executeCommand",
        json!({ "command": "rm -rf", "arguments": [] }),
    );
    assert_eq!(command["error"]["code"], -32602, "{command}");
    // A change to a document that is not open, an unknown notification: no reply needed, and the
    // server is still there.
    client.change_full("file:///nowhere.rs", 2, "fn x() {}");
    client.notify("$/unknown", json!({}));
    // A code action for a document that is not open: an empty answer.
    let none = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": "file:///nowhere.rs" }, "range": whole(""),
                "context": { "diagnostics": [] } }),
    );
    assert_eq!(none["result"], Value::Null, "{none}");
    // Still working.
    client.open(&uri, LOGIN);
    assert_eq!(client.diagnostics(&uri, 1).len(), 1);
    assert!(client.shutdown().success());
}

#[test]
fn a_file_that_does_not_parse_is_reported_but_not_fixed() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client = Client::initialized(dir.path(), Value::Null);
    let broken = format!("{LOGIN}\nfn broken( {{\n");
    client.open(&uri, &broken);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("once the file has no syntax errors"),
        "{diagnostics:#?}"
    );
    let actions = client.code_actions(&uri, &diagnostics[0]["range"], None);
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert!(
        actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Suppress")
    );
    // Garbage that is not Rust at all: nothing to report, no crash.
    client.change_full(&uri, 2, "}}}} lock() ((( \u{0} \"unterminated");
    assert_eq!(client.diagnostics(&uri, 2), Vec::<Value>::new());
    assert!(client.shutdown().success());
}

#[test]
fn a_hundred_thousand_line_file() {
    let dir = workspace();
    let uri = login_uri(dir.path());
    let mut client = Client::initialized(dir.path(), Value::Null);
    let mut text = String::from(LOGIN);
    let mut n = 0;
    while n * 8 < 100_000 {
        n += 1;
        text.push_str(&format!(
            "\npub fn helper_{n}(values: &[u64]) -> u64 {{\n    let mut total = 0;\n    for \
             value in values {{\n        total += value * {n};\n    }}\n    total\n}}\n"
        ));
    }
    assert!(text.lines().count() > 100_000);
    let started = std::time::Instant::now();
    client.open(&uri, &text);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let actions = client.code_actions(&uri, &diagnostics[0]["range"], None);
    assert!(
        actions.iter().any(|a| a["isPreferred"] == true),
        "{actions:#?}"
    );
    eprintln!(
        "100k lines: diagnostics and code actions in {:?}",
        started.elapsed()
    );
    assert!(client.shutdown().success());
}

#[test]
fn shutdown_then_exit_and_exit_without_shutdown() {
    let dir = workspace();
    let mut client = Client::initialized(dir.path(), Value::Null);
    let response = client.request("shutdown", Value::Null);
    assert_eq!(response["result"], Value::Null);
    let after = client.request("textDocument/codeAction", json!({}));
    assert_eq!(after["error"]["code"], -32600, "{after}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));

    let mut client = Client::initialized(dir.path(), Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1), "exit without shutdown");

    // The editor goes away without a word: the server ends too.
    let client = Client::initialized(dir.path(), Value::Null);
    assert_eq!(client.close_and_wait().code(), Some(1));
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let dir = tempfile::tempdir().unwrap();
    // Multibyte characters before the finding on its line: its column differs between UTF-8
    // (bytes) and UTF-16 (code units).
    let before = "/* é😀 */ ";
    let text = LOGIN.replace("    let storage =", &format!("    {before}let storage ="));
    let path = dir.path().join("login.rs");
    std::fs::write(&path, &text).unwrap();
    let uri = url(&path);
    let mut client = Client::start(dir.path());
    let response = client.request(
        "initialize",
        json!({ "processId": null, "capabilities": {
            "general": { "positionEncodings": ["utf-8", "utf-16"] } } }),
    );
    assert_eq!(
        response["result"]["capabilities"]["positionEncoding"],
        "utf-8"
    );
    client.notify("initialized", json!({}));
    client.open(&uri, &text);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({ "line": 8, "character": 4 + before.len() })
    );
    assert!(client.shutdown().success());
}

#[test]
fn server_arguments() {
    let lockfix = env!("CARGO_BIN_EXE_lockfix");
    let help = std::process::Command::new(lockfix)
        .args(["server", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Language Server"));
    let bad = std::process::Command::new(lockfix)
        .args(["server", "--tcp"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("lockfix ./server"));
}

/// The crate-wide swap on request: offered with unsafe fixes as a command; executing it plans the
/// swap over the crate (rust-analyzer loads seed 002's workspace) with the buffer's text, and the
/// server sends one workspace/applyEdit over every file it touches.
#[test]
fn crate_wide_swap_is_a_workspace_edit_on_request() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/semantic/seed_002_context_system"),
        dir.path(),
    );
    let status = std::process::Command::new(env!("CARGO"))
        .args(["fetch", "--locked", "--quiet"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "cargo fetch");
    let adapter = dir.path().join("src/adapter.rs");
    let text = std::fs::read_to_string(&adapter).unwrap();
    let uri = url(&adapter);
    let mut client = Client::initialized(dir.path(), json!({ "unsafeFixes": true }));
    client.open(&uri, &text);
    let diagnostics = client.diagnostics(&uri, 1);
    let swap = diagnostics
        .iter()
        .find(|d| d["code"] == "std-lock-in-async")
        .unwrap_or_else(|| panic!("{diagnostics:#?}"));
    let actions = client.code_actions(&uri, &swap["range"], Some(&["quickfix"]));
    let action = actions
        .iter()
        .find(|a| a["command"]["command"] == "lockfix.applyCrateFix")
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert!(action["title"].as_str().unwrap().contains("unsafe"));
    let command = &action["command"];
    let response = client.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    assert_eq!(response["result"], Value::Null, "{response}");
    let edit_request = client.wait_for("workspace/applyEdit", |m| {
        m["method"] == "workspace/applyEdit" || m["method"] == "window/showMessage"
    });
    assert_eq!(
        edit_request["method"], "workspace/applyEdit",
        "{edit_request:#}"
    );
    let changes = edit_request["params"]["edit"]["changes"]
        .as_object()
        .unwrap();
    let touched: Vec<&str> = changes
        .keys()
        .map(|k| k.rsplit('/').next().unwrap())
        .collect();
    assert!(
        touched.contains(&"adapter.rs") && touched.contains(&"system.rs"),
        "{touched:?}"
    );
    let swapped = apply(&text, changes[&uri].as_array().unwrap());
    assert!(swapped.contains("use tokio::sync::RwLock;"), "{swapped}");
    client.send(
        &json!({ "jsonrpc": "2.0", "id": edit_request["id"], "result": { "applied": true } }),
    );
    assert!(client.shutdown().success());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The warm semantic tier: the syntax tier's diagnostics come at once; the workspace loads in
/// the background and its answer (types resolved in other files) replaces them for the same
/// version; an edit reaches rust-analyzer's database without a reload, and its semantic answer
/// follows.
#[test]
fn semantic_answers_replace_the_syntax_tier_and_follow_edits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/semantic/resolves_across_files");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["fetch", "--locked", "--quiet"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "cargo fetch");
    let scratch = tempfile::tempdir().unwrap();
    let handlers = dir.join("src/handlers.rs");
    let text = std::fs::read_to_string(&handlers).unwrap();
    let uri = url(&handlers);
    let mut client = Client::start(scratch.path());
    let response = client.request(
        "initialize",
        json!({ "processId": null, "rootUri": url(&dir), "capabilities": {},
                "initializationOptions": { "semantic": "on" } }),
    );
    assert!(response.get("result").is_some(), "{response}");
    client.notify("initialized", json!({}));
    client.open(&uri, &text);
    let lines_and_rules = |diagnostics: &[Value]| -> Vec<(u64, String)> {
        let mut found: Vec<(u64, String)> = diagnostics
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap() + 1,
                    d["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let gaa = || "guard-across-await".to_owned();
    // The file alone first (the server builds no crate index: lines 19 and 34's cross-file
    // facts wait for the semantic tier), then the CLI's semantic expectations (tests/semantic.rs).
    let syntax = client.diagnostics(&uri, 1);
    assert_eq!(
        lines_and_rules(&syntax),
        [(12, gaa()), (26, gaa()), (34, gaa())]
    );
    assert!(syntax.iter().all(|d| d["data"]["tier"] == "syntax"));
    let semantic = client.diagnostics(&uri, 1);
    assert_eq!(
        lines_and_rules(&semantic),
        [
            (12, gaa()),
            (19, gaa()),
            (34, gaa()),
            (34, "read-then-write".to_owned())
        ]
    );
    assert!(semantic.iter().all(|d| d["data"]["tier"] == "semantic"));
    let loaded = client.wait_for("the load's log line", |m| {
        m["method"] == "window/logMessage"
    });
    assert!(
        loaded["params"]["message"]
            .as_str()
            .unwrap()
            .contains("semantic tier loaded"),
        "{loaded}"
    );

    // Two blank lines on top: every finding moves down by two, in the syntax answer at once and
    // in the semantic one after the database took the change (no second load is logged).
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 0, "character": 0 },
                           "end": { "line": 0, "character": 0 } },
                "text": "\n\n",
            }],
        }),
    );
    let syntax = client.diagnostics(&uri, 2);
    assert!(syntax.iter().all(|d| d["data"]["tier"] == "syntax"));
    let semantic = client.diagnostics(&uri, 2);
    assert_eq!(
        lines_and_rules(&semantic),
        [
            (14, gaa()),
            (21, gaa()),
            (36, gaa()),
            (36, "read-then-write".to_owned())
        ]
    );
    let reloads: Vec<Value> = client
        .take_buffered()
        .into_iter()
        .filter(|m| m["method"] == "window/logMessage")
        .collect();
    assert_eq!(
        reloads,
        Vec::<Value>::new(),
        "the edit reloaded the workspace"
    );
    assert!(client.shutdown().success());
}
