//! `lockfix server`: a Language Server over standard input and output, beside rust-analyzer.
//!
//! It publishes the engine's findings for every open Rust document as the user types (from the
//! editor's text, not the file on disk) and offers the fixes as code actions. All the analysis is
//! [`crate::fix::engine::Engine::check`], the entry point the command line uses: the server only
//! translates between the protocol and the engine.
//!
//! Built on rust-analyzer's `lsp-server` (messages, handshake) and `lsp-types`; one module per
//! concern: [`transport`] (stdio framing that survives malformed input), [`documents`] (open
//! buffers), [`position`] (UTF-8/UTF-16 columns), [`diagnostics`], [`actions`], [`settings`],
//! [`crate_swap`] (the crate-wide fix on request), [`warm`] (the semantic tier, loaded once in
//! the background and updated on every edit).
//!
//! The loop handles one message at a time and publishes diagnostics only when no message is
//! waiting, so a burst of keystrokes costs one analysis, not one per keystroke.

pub mod actions;
pub mod crate_swap;
pub mod diagnostics;
pub mod documents;
pub mod position;
pub mod settings;
pub mod transport;
pub mod warm;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::Sender;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    ExecuteCommandOptions, ExecuteCommandParams, InitializeParams, InitializeResult, MessageType,
    PublishDiagnosticsParams, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use serde::de::DeserializeOwned;

use crate::fix::analysis::catch_panic;
use crate::fix::engine::{Engine, FixPolicy};
use documents::{Checked, Documents};
use position::{Encoding, Positions};
use settings::EditorSettings;

/// `lockfix server [--stdio]`: the arguments after `server`. `--stdio` is accepted because
/// generic clients (VS Code's) pass it; standard input and output is the only transport.
pub fn command(args: &[std::ffi::OsString]) -> i32 {
    for arg in args {
        match arg.to_str() {
            Some("--stdio") => {}
            Some("-h" | "--help") => {
                println!(
                    "Runs lockfix as a Language Server over standard input and output.\n\n\
                     Usage: lockfix server [--stdio]\n\n\
                     Settings come from the editor (initializationOptions, \
                     workspace/didChangeConfiguration) and from lockfix.toml or \
                     [workspace.metadata.lockfix]; see the README."
                );
                return 0;
            }
            _ => {
                eprintln!(
                    "error: unexpected argument `{}` for `lockfix server` (usage: lockfix server \
                     [--stdio]; to check a directory named `server`, write `lockfix ./server`)",
                    arg.to_string_lossy()
                );
                return 2;
            }
        }
    }
    run()
}

/// Runs the server until the client says `exit` or closes standard input; returns the process
/// exit code the protocol asks for: 0 after `shutdown`, 1 otherwise.
pub fn run() -> i32 {
    let (connection, threads) = match transport::stdio() {
        Ok(pair) => pair,
        Err(error) => {
            eprintln!("lockfix server: cannot start the stdio threads: {error}");
            return 2;
        }
    };
    let code = match start(&connection) {
        Ok(mut server) => server.main_loop(),
        Err(message) => {
            eprintln!("lockfix server: {message}");
            1
        }
    };
    drop(connection);
    threads.join();
    code
}

/// The handshake: waits for `initialize` (lsp-server answers other requests with
/// "server not initialized"), answers it with the capabilities, and builds the server.
fn start(connection: &Connection) -> Result<Server, String> {
    let (id, params) = loop {
        let (id, params) = connection
            .initialize_start()
            .map_err(|error| format!("no initialize request: {error}"))?;
        match serde_json::from_value::<InitializeParams>(params) {
            Ok(params) => break (id, params),
            Err(error) => send(
                &connection.sender,
                Response::new_err(
                    id,
                    ErrorCode::InvalidParams as i32,
                    format!("invalid initialize parameters: {error}"),
                ),
            ),
        }
    };
    let encoding = Encoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref()),
    );
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "lockfix".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
    };
    send(&connection.sender, Response::new_ok(id, result));
    let mut server = Server {
        sender: connection.sender.clone(),
        receiver: connection.receiver.clone(),
        encoding,
        root: root(&params),
        settings: EditorSettings::default(),
        engine: Engine::new(Default::default(), Default::default()),
        documents: Documents::default(),
        dirty: BTreeSet::new(),
        shutting_down: false,
        next_request: 0,
        warm: None,
        told: BTreeSet::new(),
    };
    let options = params.initialization_options.unwrap_or_default();
    server.configure(&options);
    Ok(server)
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                // Saving a lockfix.toml or Cargo.toml changes the settings of open documents.
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(actions::FIX_ALL_KIND),
            ]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![actions::SWAP_COMMAND.to_owned()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// The workspace's root directory: paths in crate-wide fixes are shown relative to it.
fn root(params: &InitializeParams) -> PathBuf {
    #[allow(deprecated)] // `root_uri` is what older clients send instead of workspace folders.
    let from_client = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| folder.uri.clone())
        .or_else(|| params.root_uri.clone())
        .and_then(|uri| uri.to_file_path().ok());
    from_client
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}

struct Server {
    sender: Sender<Message>,
    receiver: crossbeam_channel::Receiver<Message>,
    encoding: Encoding,
    root: PathBuf,
    settings: EditorSettings,
    engine: Engine,
    documents: Documents,
    /// Documents whose diagnostics are out of date.
    dirty: BTreeSet<Url>,
    /// `shutdown` was answered: only `exit` is expected now.
    shutting_down: bool,
    /// For the ids of requests the server sends.
    next_request: u64,
    /// The semantic tier's worker, started when a document first needs it.
    warm: Option<warm::Warm>,
    /// Problems already shown, so a workspace that cannot load is reported once.
    told: BTreeSet<String>,
}

/// What the loop waits for.
enum Event {
    Message(Option<Message>),
    Answer(Option<warm::Answer>),
}

/// What handling a message asks the loop to do next.
enum Flow {
    Continue,
    Exit(i32),
}

impl Server {
    fn main_loop(&mut self) -> i32 {
        loop {
            let event = match &self.warm {
                Some(warm) => crossbeam_channel::select! {
                    recv(self.receiver) -> message => Event::Message(message.ok()),
                    recv(warm.answers) -> answer => Event::Answer(answer.ok()),
                },
                None => Event::Message(self.receiver.recv().ok()),
            };
            match event {
                // Standard input closed without `exit`.
                Event::Message(None) => return if self.shutting_down { 0 } else { 1 },
                Event::Message(Some(message)) => {
                    if let Flow::Exit(code) = self.handle(message) {
                        return code;
                    }
                }
                Event::Answer(Some(answer)) => self.semantic_answer(answer),
                // The worker is gone (it cannot be, short of a bug): the syntax tier stays.
                Event::Answer(None) => self.warm = None,
            }
            if self.receiver.is_empty() {
                self.publish_dirty();
            }
        }
    }

    fn handle(&mut self, message: Message) -> Flow {
        match message {
            Message::Request(request) => {
                let id = request.id.clone();
                let method = request.method.clone();
                let response = catch_panic(|| self.request(request)).unwrap_or_else(|panic| {
                    Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!("lockfix server failed on `{method}`: {panic}"),
                    )
                });
                send(&self.sender, response);
                Flow::Continue
            }
            Message::Notification(notification) => {
                if notification.method == lsp_types::notification::Exit::METHOD {
                    return Flow::Exit(if self.shutting_down { 0 } else { 1 });
                }
                let method = notification.method.clone();
                if let Err(panic) = catch_panic(|| self.notification(notification)) {
                    self.show(
                        MessageType::ERROR,
                        format!("lockfix server failed on `{method}`: {panic}"),
                    );
                }
                Flow::Continue
            }
            Message::Response(response) => {
                // The only requests the server sends are workspace/applyEdit.
                let failed = match &response.response_result {
                    Err(error) => Some(error.message.clone()),
                    Ok(result) => serde_json::from_value::<lsp_types::ApplyWorkspaceEditResponse>(
                        result.clone(),
                    )
                    .ok()
                    .filter(|applied| !applied.applied)
                    .map(|applied| applied.failure_reason.unwrap_or_default()),
                };
                if let Some(reason) = failed {
                    self.show(
                        MessageType::WARNING,
                        format!("the editor did not apply lockfix's edit: {reason}"),
                    );
                }
                Flow::Continue
            }
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        if self.shutting_down {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                format!(
                    "`{}` after shutdown: only `exit` is expected",
                    request.method
                ),
            );
        }
        match request.method.as_str() {
            lsp_types::request::Shutdown::METHOD => {
                self.shutting_down = true;
                Response::new_ok(id, ())
            }
            lsp_types::request::CodeActionRequest::METHOD => {
                match params::<CodeActionParams>(&request) {
                    Ok(params) => match self.code_actions(&params) {
                        Some(actions) => Response::new_ok(id, actions),
                        None => Response::new_ok(id, ()),
                    },
                    Err(response) => response,
                }
            }
            lsp_types::request::ExecuteCommand::METHOD => {
                match params::<ExecuteCommandParams>(&request) {
                    Ok(params) => match self.execute_command(&params) {
                        Ok(()) => Response::new_ok(id, ()),
                        Err(message) => {
                            Response::new_err(id, ErrorCode::InvalidParams as i32, message)
                        }
                    },
                    Err(response) => response,
                }
            }
            other => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("lockfix server does not handle `{other}`"),
            ),
        }
    }

    fn notification(&mut self, notification: Notification) {
        use lsp_types::notification::{
            DidChangeConfiguration, DidChangeTextDocument, DidChangeWatchedFiles,
            DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        let method = notification.method.clone();
        let bad = |error: serde_json::Error| format!("invalid `{method}` parameters: {error}");
        match method.as_str() {
            DidOpenTextDocument::METHOD => {
                match serde_json::from_value::<DidOpenTextDocumentParams>(notification.params) {
                    Ok(params) => {
                        let document = params.text_document;
                        // Generic clients may send every buffer: only Rust is lockfix's.
                        if document.language_id != "rust" && !document.uri.path().ends_with(".rs") {
                            return;
                        }
                        self.dirty.insert(document.uri.clone());
                        self.documents
                            .open(document.uri, document.version, document.text);
                    }
                    Err(error) => self.show(MessageType::ERROR, bad(error)),
                }
            }
            DidChangeTextDocument::METHOD => {
                match serde_json::from_value::<DidChangeTextDocumentParams>(notification.params) {
                    Ok(params) => {
                        let uri = params.text_document.uri;
                        let changed = self.documents.change(
                            &uri,
                            params.text_document.version,
                            params.content_changes,
                            self.encoding,
                        );
                        match changed {
                            Ok(()) => {
                                self.dirty.insert(uri);
                            }
                            Err(message) => self.show(MessageType::ERROR, message),
                        }
                    }
                    Err(error) => self.show(MessageType::ERROR, bad(error)),
                }
            }
            DidCloseTextDocument::METHOD => {
                match serde_json::from_value::<DidCloseTextDocumentParams>(notification.params) {
                    Ok(params) => {
                        let uri = params.text_document.uri;
                        self.dirty.remove(&uri);
                        if self.documents.close(&uri).is_some() {
                            // A closed document's findings leave the problems panel.
                            self.publish(uri, Vec::new(), None);
                        }
                    }
                    Err(error) => self.show(MessageType::ERROR, bad(error)),
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<DidSaveTextDocumentParams>(notification.params)
                    && is_settings_file(&params.text_document.uri)
                {
                    self.reload();
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(params) =
                    serde_json::from_value::<DidChangeWatchedFilesParams>(notification.params)
                    && params
                        .changes
                        .iter()
                        .any(|change| is_settings_file(&change.uri))
                {
                    self.reload();
                }
            }
            DidChangeConfiguration::METHOD => {
                match serde_json::from_value::<DidChangeConfigurationParams>(notification.params) {
                    Ok(params) => self.configure(&params.settings),
                    Err(error) => self.show(MessageType::ERROR, bad(error)),
                }
            }
            // `initialized`, `$/cancelRequest` (every request is answered at once), `$/setTrace`
            // and whatever else a client sends: nothing to do.
            _ => {}
        }
    }

    /// New editor settings: a new engine, and every open document checked again.
    fn configure(&mut self, value: &serde_json::Value) {
        let (settings, mut problems) = EditorSettings::parse(value);
        // A `null` or empty change (clients that use pull configuration) keeps what was set.
        if !(value.is_null() && problems.is_empty()) {
            self.settings = settings;
        }
        self.engine = self.settings.engine(&mut problems);
        for problem in problems {
            self.show(MessageType::WARNING, format!("lockfix settings: {problem}"));
        }
        self.recheck_all();
    }

    /// A configuration file changed on disk: read them all again.
    fn reload(&mut self) {
        let mut problems = Vec::new();
        self.engine = self.settings.engine(&mut problems);
        for problem in problems {
            self.show(MessageType::WARNING, format!("lockfix settings: {problem}"));
        }
        self.recheck_all();
    }

    fn recheck_all(&mut self) {
        self.documents.invalidate();
        self.dirty.extend(self.documents.uris());
    }

    /// The engine's answer for the document's current version, computed once per version (by the
    /// syntax tier; the semantic tier's answer replaces it when it arrives).
    fn checked(&mut self, uri: &Url) -> Option<Arc<Checked>> {
        let document = self.documents.get_mut(uri)?;
        if let Some(checked) = &document.checked {
            return Some(checked.clone());
        }
        let check = self
            .engine
            .check(
                document.path.as_deref(),
                &document.text,
                None,
                FixPolicy::None,
            )
            .map_err(|panic| panic.to_string());
        let checked = Arc::new(Checked {
            version: document.version,
            check,
        });
        document.checked = Some(checked.clone());
        Some(checked)
    }

    /// Publishes the syntax tier's diagnostics of every changed document, and asks the semantic
    /// tier about those that need it.
    fn publish_dirty(&mut self) {
        for uri in std::mem::take(&mut self.dirty) {
            let Some(checked) = self.checked(&uri) else {
                continue;
            };
            self.publish_checked(&uri, &checked);
            self.ask_semantic_tier(&uri, &checked);
        }
    }

    fn publish_checked(&self, uri: &Url, checked: &Checked) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let diagnostics =
            diagnostics::diagnostics(uri, &document.text, &checked.check, self.encoding);
        self.publish(uri.clone(), diagnostics, Some(checked.version));
    }

    /// Sends the document to the warm semantic tier when the settings and the syntax tier's
    /// doubts say so (`auto`: where the syntax tier has something rust-analyzer could settle,
    /// and from then on for that document).
    fn ask_semantic_tier(&mut self, uri: &Url, checked: &Checked) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let Some(path) = document.path.clone() else {
            return;
        };
        let wanted = match self.settings.semantic {
            crate::fix::semantic::SemanticMode::Off => false,
            crate::fix::semantic::SemanticMode::On => true,
            crate::fix::semantic::SemanticMode::Auto => {
                document.semantic_seen
                    || checked
                        .check
                        .as_ref()
                        .is_ok_and(|check| check.outcome.initial.wants_semantics)
            }
        };
        if !wanted {
            return;
        }
        let job = warm::Job {
            uri: uri.clone(),
            version: document.version,
            path,
            text: document.text.clone(),
        };
        if self.warm.is_none() {
            match warm::Warm::start() {
                Ok(started) => self.warm = Some(started),
                Err(error) => {
                    self.tell_once(format!("the semantic tier cannot start: {error}"));
                    return;
                }
            }
        }
        if let Some(warm) = &self.warm {
            warm.send(job);
        }
    }

    /// The semantic tier's facts for a version: checked again with them and published, unless
    /// the document moved on meanwhile (its newer version has been sent already).
    fn semantic_answer(&mut self, answer: warm::Answer) {
        if let Some((manifest, took)) = &answer.loaded {
            self.log(format!(
                "lockfix: semantic tier loaded {} in {:.1} s",
                manifest.display(),
                took.as_secs_f64()
            ));
        }
        if let Some(problem) = answer.problem {
            self.tell_once(problem);
        }
        let Some(document) = self.documents.get_mut(&answer.uri) else {
            return;
        };
        document.semantic_seen = true;
        if document.version != answer.version {
            return;
        }
        let Some(facts) = answer.facts else {
            return;
        };
        let check = self
            .engine
            .check(
                document.path.as_deref(),
                &document.text,
                Some(facts),
                FixPolicy::None,
            )
            .map_err(|panic| panic.to_string());
        let checked = Arc::new(Checked {
            version: answer.version,
            check,
        });
        document.checked = Some(checked.clone());
        self.publish_checked(&answer.uri, &checked);
    }

    fn tell_once(&mut self, problem: String) {
        if self.told.insert(problem.clone()) {
            self.show(MessageType::WARNING, problem);
        }
    }

    /// A line in the editor's log of this server.
    fn log(&self, message: String) {
        send(
            &self.sender,
            Notification::new(
                lsp_types::notification::LogMessage::METHOD.to_owned(),
                lsp_types::LogMessageParams {
                    typ: MessageType::INFO,
                    message,
                },
            ),
        );
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        send(
            &self.sender,
            Notification::new(
                lsp_types::notification::PublishDiagnostics::METHOD.to_owned(),
                params,
            ),
        );
    }

    fn code_actions(
        &mut self,
        params: &CodeActionParams,
    ) -> Option<Vec<lsp_types::CodeActionOrCommand>> {
        let uri = &params.text_document.uri;
        let checked = self.checked(uri)?;
        let document = self.documents.get(uri)?;
        let check = checked.check.as_ref().ok()?;
        let range = Positions::new(&document.text, self.encoding).offsets(params.range);
        let request = actions::Request {
            uri,
            text: &document.text,
            check,
            range,
            only: params.context.only.as_deref(),
            encoding: self.encoding,
        };
        Some(actions::code_actions(&self.engine, &request))
    }

    /// `lockfix.applyCrateFix {uri, offset}`: plans the swap on a thread, which sends the edit.
    fn execute_command(&mut self, params: &ExecuteCommandParams) -> Result<(), String> {
        if params.command != actions::SWAP_COMMAND {
            return Err(format!(
                "unknown command `{}`; lockfix has `{}`",
                params.command,
                actions::SWAP_COMMAND
            ));
        }
        #[derive(serde::Deserialize)]
        struct Target {
            uri: Url,
            offset: usize,
        }
        let target: Target = params
            .arguments
            .first()
            .and_then(|argument| serde_json::from_value(argument.clone()).ok())
            .ok_or_else(|| format!("`{}` takes one argument: {{uri, offset}}", params.command))?;
        let checked = self
            .checked(&target.uri)
            .ok_or_else(|| format!("{} is not open", target.uri))?;
        let check = checked
            .check
            .as_ref()
            .map_err(|panic| format!("the file could not be analysed: {panic}"))?;
        let finding = check
            .outcome
            .initial
            .findings
            .iter()
            .find(|finding| {
                finding.rule == lockfix_transforms::RuleId::StdLockInAsync
                    && finding.range.start == target.offset
            })
            .ok_or("the finding is gone: the document changed since the action was offered")?;
        if !check.unsafe_fixes {
            return Err("the swap is an unsafe fix: enable `unsafeFixes` to apply it".to_owned());
        }
        let mut files = Vec::new();
        let mut candidate_file = None;
        for (uri, document) in self.documents.iter() {
            let Some(path) = &document.path else { continue };
            if *uri == target.uri {
                candidate_file = Some(files.len());
            }
            files.push(crate::fix::crate_fix::CrateFile {
                path: path.clone(),
                display: crate::input::discover::display_path(path, &self.root),
                text: document.text.clone(),
                edition: self.engine.edition_for(path),
            });
        }
        let file = candidate_file.ok_or("the document is not a file on disk")?;
        let job = crate_swap::SwapJob {
            files,
            candidate: crate::fix::crate_fix::SwapCandidate {
                file,
                range: finding.range.clone(),
            },
            root: self.root.clone(),
            encoding: self.encoding,
        };
        self.next_request += 1;
        let id = RequestId::from(format!("lockfix-apply-{}", self.next_request));
        let sender = self.sender.clone();
        std::thread::Builder::new()
            .name("lockfix-crate-swap".to_owned())
            .spawn(move || {
                let message: Message = match catch_panic(|| crate_swap::plan(&job)) {
                    Ok(Ok((label, edit))) => Request::new(
                        id,
                        lsp_types::request::ApplyWorkspaceEdit::METHOD.to_owned(),
                        lsp_types::ApplyWorkspaceEditParams {
                            label: Some(label),
                            edit,
                        },
                    )
                    .into(),
                    Ok(Err(reason)) => show_message(
                        MessageType::WARNING,
                        format!("lockfix: the swap is not offered: {reason}"),
                    )
                    .into(),
                    Err(panic) => show_message(
                        MessageType::ERROR,
                        format!("lockfix: planning the swap failed: {panic}"),
                    )
                    .into(),
                };
                let _ = sender.send(message);
            })
            .map_err(|error| format!("cannot start the planning thread: {error}"))?;
        Ok(())
    }

    /// Tells the user something in the editor's message area.
    fn show(&self, kind: MessageType, message: String) {
        send(&self.sender, show_message(kind, message));
    }
}

fn show_message(kind: MessageType, message: String) -> Notification {
    Notification::new(
        lsp_types::notification::ShowMessage::METHOD.to_owned(),
        lsp_types::ShowMessageParams { typ: kind, message },
    )
}

/// A request's parameters, or the error response that says why they are not usable.
fn params<P: DeserializeOwned>(request: &Request) -> Result<P, Response> {
    serde_json::from_value(request.params.clone()).map_err(|error| {
        Response::new_err(
            request.id.clone(),
            ErrorCode::InvalidParams as i32,
            format!("invalid `{}` parameters: {error}", request.method),
        )
    })
}

/// Sends to the client; a closed connection means the client is gone, and the loop ends when
/// its input does.
fn send(sender: &Sender<Message>, message: impl Into<Message>) {
    let _ = sender.send(message.into());
}

/// The files whose change changes lockfix's settings.
fn is_settings_file(uri: &Url) -> bool {
    uri.path_segments()
        .and_then(|mut segments| segments.next_back())
        .is_some_and(|name| matches!(name, "lockfix.toml" | ".lockfix.toml" | "Cargo.toml"))
}
