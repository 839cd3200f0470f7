//! The semantic tier kept warm for the editor: rust-analyzer's database for each Cargo workspace,
//! loaded once on a background thread and updated with every edit, so the answers that need types
//! from other files (the kind of a lock behind `Arc<AppState>`, a helper returning a guard, a
//! method in another file that locks again) follow the user's typing without reloading anything.
//!
//! The main loop publishes the syntax tier's diagnostics at once and sends the document here; the
//! worker applies the buffer's text to the database (`set_file_text`, i.e. rust-analyzer's
//! `apply_change`: only what depends on the file is recomputed), asks it for the file's facts and
//! answers. The main loop re-runs the engine with those facts and publishes again, if the document
//! has not changed meanwhile. A burst of edits is one request: the worker takes the newest text of
//! each document before it starts.
//!
//! Loading runs cargo offline with build scripts and proc macros off, as the CLI does by default;
//! a workspace that cannot load is remembered (and the user told once): the syntax tier stays.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};
use lockfix_semantic::{LoadOptions, Workspace};
use lockfix_transforms::analysis::SemanticFacts;
use lsp_types::Url;

use crate::fix::analysis::catch_panic;
use crate::fix::semantic::owning_manifest;

/// A document's text, to resolve.
pub struct Job {
    pub uri: Url,
    pub version: i32,
    pub path: PathBuf,
    pub text: String,
}

/// What the worker found for one version of a document.
pub struct Answer {
    pub uri: Url,
    pub version: i32,
    /// The facts, `None` when the file belongs to no loadable workspace.
    pub facts: Option<Arc<SemanticFacts>>,
    /// A workspace loaded for this answer: its manifest and how long the load took.
    pub loaded: Option<(PathBuf, Duration)>,
    /// A problem the user should hear of once (a workspace that cannot load).
    pub problem: Option<String>,
}

/// The handle the main loop keeps.
pub struct Warm {
    jobs: Sender<Job>,
    pub answers: Receiver<Answer>,
}

impl Warm {
    pub fn start() -> std::io::Result<Warm> {
        let (jobs, job_receiver) = unbounded::<Job>();
        let (answer_sender, answers) = unbounded::<Answer>();
        std::thread::Builder::new()
            .name("lockfix-semantic".to_owned())
            // rust-analyzer recurses on deep syntax; the CLI's workers have the same headroom.
            .stack_size(64 * 1024 * 1024)
            .spawn(move || Worker::default().run(&job_receiver, &answer_sender))?;
        Ok(Warm { jobs, answers })
    }

    pub fn send(&self, job: Job) {
        // The worker ends only with the process: a failed send means it panicked outside its
        // guards, and the syntax tier simply stays.
        let _ = self.jobs.send(job);
    }
}

#[derive(Default)]
struct Worker {
    /// By manifest: the loaded workspace, or why it cannot load (not retried on each keystroke).
    workspaces: HashMap<PathBuf, Result<Workspace, String>>,
    /// The newest buffer text of every document seen, to give a workspace loaded later.
    texts: HashMap<PathBuf, String>,
}

impl Worker {
    fn run(mut self, jobs: &Receiver<Job>, answers: &Sender<Answer>) {
        while let Ok(first) = jobs.recv() {
            // The newest version of each document waiting: older ones would be stale anyway.
            let mut newest: Vec<Job> = Vec::new();
            for job in std::iter::once(first).chain(jobs.try_iter()) {
                newest.retain(|queued| queued.uri != job.uri);
                newest.push(job);
            }
            for job in newest {
                let answer = catch_panic(|| self.resolve(&job)).unwrap_or_else(|panic| Answer {
                    uri: job.uri.clone(),
                    version: job.version,
                    facts: None,
                    loaded: None,
                    problem: Some(format!(
                        "the semantic tier failed, syntax tier used: {panic}"
                    )),
                });
                if answers.send(answer).is_err() {
                    return;
                }
            }
        }
    }

    fn resolve(&mut self, job: &Job) -> Answer {
        let mut answer = Answer {
            uri: job.uri.clone(),
            version: job.version,
            facts: None,
            loaded: None,
            problem: None,
        };
        self.texts.insert(job.path.clone(), job.text.clone());
        let Some(manifest) = owning_manifest(&job.path) else {
            return answer;
        };
        if !self.workspaces.contains_key(&manifest) {
            let loaded = Workspace::load(&manifest, &LoadOptions::default()).map_err(|error| {
                let reason = format!("{error:#}");
                let first = reason.lines().next().unwrap_or_default().to_owned();
                format!(
                    "the semantic tier cannot load {}, syntax tier used: {first}",
                    manifest.display()
                )
            });
            match &loaded {
                Ok(workspace) => {
                    answer.loaded = Some((manifest.clone(), workspace.stats.duration));
                }
                Err(problem) => answer.problem = Some(problem.clone()),
            }
            self.workspaces.insert(manifest.clone(), loaded);
        }
        let Some(Ok(workspace)) = self.workspaces.get_mut(&manifest) else {
            return answer;
        };
        if answer.loaded.is_some() {
            // The database was loaded from disk: every open buffer's unsaved text goes in.
            for (path, text) in &self.texts {
                workspace.set_file_text(path, text);
            }
        } else {
            workspace.set_file_text(&job.path, &job.text);
        }
        match workspace.facts(&job.path) {
            // Empty facts change nothing (the CLI drops them too).
            Ok(facts) => answer.facts = facts.filter(|f| !f.is_empty()).map(Arc::new),
            Err(error) => {
                answer.problem = Some(format!(
                    "the semantic tier failed on {}, syntax tier used: {error:#}",
                    job.path.display()
                ));
            }
        }
        answer
    }
}
