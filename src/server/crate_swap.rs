//! The crate-wide std→tokio swap on the editor's request (`lockfix.applyCrateFix`): planned by
//! the CLI's own planner ([`crate::fix::crate_fix::plan_swaps`]) over the crate, with the editor's
//! unsaved buffers in place of the files on disk, and sent to the editor as one
//! `workspace/applyEdit` over every file it touches (the manifest included).
//!
//! Planning loads the workspace with rust-analyzer (offline, build scripts and proc macros off,
//! as the CLI's default), which takes seconds: it runs on its own thread so diagnostics keep
//! flowing meanwhile.

use std::collections::HashMap;
use std::path::PathBuf;

use lsp_types::{Url, WorkspaceEdit};

use super::actions::minimal_edit;
use super::position::{Encoding, Positions};
use crate::fix::crate_fix::{CrateFile, Decision, SwapCandidate, plan_swaps};
use crate::fix::semantic::{SemanticConfig, SemanticMode};

/// Everything the planner needs, owned, to run on another thread.
pub struct SwapJob {
    /// Every open document that is a file, with its buffer's text.
    pub files: Vec<CrateFile>,
    /// The index in `files` of the document with the finding, and the finding's range.
    pub candidate: SwapCandidate,
    /// The directory paths are shown relative to.
    pub root: PathBuf,
    pub encoding: Encoding,
}

/// The swap as a workspace edit and its label, or why it is not offered.
pub fn plan(job: &SwapJob) -> Result<(String, WorkspaceEdit), String> {
    let config = SemanticConfig {
        mode: SemanticMode::Auto,
        build_scripts: false,
        proc_macros: false,
        progress: false,
    };
    let candidates = [SwapCandidate {
        file: job.candidate.file,
        range: job.candidate.range.clone(),
    }];
    let decision = plan_swaps(&job.files, &candidates, &config, &job.root)
        .into_iter()
        .next()
        .ok_or("the file does not belong to a Cargo crate, so there is no crate to swap across")?;
    let swap = match decision {
        Decision::Planned(swap) => swap,
        Decision::Refused(_, reason) => return Err(reason),
    };
    let mut changes = HashMap::new();
    for (path, _display, before, after) in &swap.files {
        let uri = Url::from_file_path(path)
            .map_err(|()| format!("{} cannot be named as a file URI", path.display()))?;
        let edit = minimal_edit(before, after);
        let positions = Positions::new(before, job.encoding);
        changes.insert(
            uri,
            vec![lsp_types::TextEdit::new(
                positions.range(&edit.range),
                edit.replacement,
            )],
        );
    }
    Ok((
        format!("{} ({})", swap.title, swap.note),
        WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        },
    ))
}
