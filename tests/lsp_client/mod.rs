//! A small LSP client for the tests: it starts the real `lockfix server` binary and speaks to it
//! over its standard input and output, as an editor does. Deliberately independent of the
//! server's code (its own framing, plain JSON), so a bug in the server's transport cannot hide
//! itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Generous: the tests run a debug build on a loaded two-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(120);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for something else.
    buffered: Vec<Value>,
    next_id: i64,
}

impl Client {
    /// Starts `lockfix server` in `cwd`.
    pub fn start(cwd: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockfix"))
            .arg("server")
            .current_dir(cwd)
            .env("LOCKFIX_CACHE_DIR", cwd.join(".lockfix-cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lockfix server starts");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut stdout) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            buffered: Vec::new(),
            next_id: 0,
        }
    }

    /// Starts the server and completes the handshake with these `initializationOptions`.
    pub fn initialized(cwd: &Path, options: Value) -> Client {
        let mut client = Client::start(cwd);
        let response = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": url(cwd),
                "capabilities": {},
                "initializationOptions": options,
            }),
        );
        assert!(response.get("result").is_some(), "{response}");
        client.notify("initialized", json!({}));
        client
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("the server reads its input");
        stdin.flush().expect("the server reads its input");
    }

    pub fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns the whole response message.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("the response to {method}"), |message| {
            message.get("id") == Some(&json!(id)) && message.get("method").is_none()
        })
    }

    /// The first message (buffered or new) that `matches`; panics after [`TIMEOUT`].
    pub fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.buffered.iter().position(&matches) {
            return self.buffered.remove(at);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) if matches(&message) => return message,
                Ok(message) => self.buffered.push(message),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out waiting for {what}; received meanwhile: {:#?}",
                    self.buffered
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "the server closed its output while the test waited for {what}; received: \
                     {:#?}",
                    self.buffered
                ),
            }
        }
    }

    /// The messages read so far that no wait asked for.
    pub fn take_buffered(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.buffered)
    }

    /// The diagnostics published for `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let message = self.wait_for(&format!("diagnostics of {uri} v{version}"), |message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"] == version
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri, "languageId": "rust", "version": 1, "text": text
            }}),
        );
    }

    pub fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    /// `textDocument/codeAction` over `range` (an LSP range), optionally limited to `only`.
    pub fn code_actions(&mut self, uri: &str, range: &Value, only: Option<&[&str]>) -> Vec<Value> {
        let mut context = json!({ "diagnostics": [] });
        if let Some(only) = only {
            context["only"] = json!(only);
        }
        let response = self.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": range, "context": context }),
        );
        response["result"].as_array().cloned().unwrap_or_default()
    }

    /// Closes standard input and waits for the process.
    pub fn close_and_wait(mut self) -> ExitStatus {
        drop(self.stdin.take());
        self.wait()
    }

    /// Waits for the process to exit (killing it after [`TIMEOUT`]).
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `shutdown` then `exit`: the protocol's orderly end. Returns the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        self.wait()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one framed message; `None` at end of output. A malformed frame fails the test: the
/// server must always speak the protocol.
fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        assert!(line.ends_with("\r\n"), "header without CRLF: {line:?}");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(": ").expect("`Name: value` header");
        if name.eq_ignore_ascii_case("Content-Length") {
            length = Some(value.parse::<usize>().expect("numeric Content-Length"));
        }
    }
    let mut body = vec![0; length.expect("Content-Length")];
    input.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("the server sends JSON"))
}

pub fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Applies LSP text edits (UTF-16 columns, the protocol's default) to `text`.
pub fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| -> usize {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (at, ch) in text[start..].char_indices() {
            if units >= character || ch == '\n' {
                return start + at;
            }
            units += ch.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(&edit["range"]["start"]),
                offset(&edit["range"]["end"]),
                edit["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|&(start, end, _)| (start, end));
    let mut out = String::new();
    let mut at = 0;
    for (start, end, new_text) in edits {
        out.push_str(&text[at..start]);
        out.push_str(new_text);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The edits a code action makes to `uri`.
pub fn edits_for<'a>(action: &'a Value, uri: &str) -> &'a [Value] {
    action["edit"]["changes"][uri]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("the action edits {uri}: {action:#}"))
}
