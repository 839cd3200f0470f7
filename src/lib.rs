//! lockfix's command-line front end: it finds the files, reads them, runs the transforms of
//! `lockfix-transforms`, applies their fixes, shows diffs and writes files. All the I/O of lockfix
//! lives here; the analysis crate is pure.
//!
//! The folders are the stages of a run, in the order [`run`] strings them together:
//!
//! 1. [`input`]: which files, read how, with which settings (discovery, reading, editions,
//!    configuration, rule ids);
//! 2. [`fix`]: the analysis and the fix loop in memory ([`fix::engine`] is the one entry point
//!    the command line and the language server share; [`fix::files`] runs it over every file),
//!    then the phases that need more than one file (the crate index, the semantic tier, the
//!    std→tokio swap);
//! 3. [`output`]: the report rendered for people, machines and CI, diffs, statistics;
//! 4. [`write`](mod@write): asking the user ([`write::interactive`]), the git check, atomic writes,
//!    `--verify`, baselines and `--add-ignore`.
//!
//! [`report`] is the run's record that every stage adds to (findings, applied fixes, errors,
//! notes, verification outcomes) and the progress shown while it runs; [`cli`] parses the command
//! line and calls [`run::run`]; [`server`] is the language server, a second front end over
//! [`fix::engine`].
//!
//! Dependencies point one way, so that a stage reads without the ones after it:
//! `report` ← `input` ← `fix` ← `output` ← `write` ← `run` ← `server` ← `cli` (`cli` starts the
//! server for `lockfix server`). The interactive prompt lives in `write`, not in `cli`, because
//! [`run`] asks it between the analysis and the writes, and it shows fixes as `output` renders
//! them. `tests/tidy.rs` checks the order and that no two modules depend on each other.

pub mod cli;
pub mod fix;
pub mod input;
pub mod output;
pub mod report;
pub mod run;
pub mod server;
pub mod write;

pub use cli::run_with_args;
