//! The one in-memory entry point that every front end shares: a file's text and path, with the
//! settings of the run, in; findings with their fixes (and, when asked, the text after the fix
//! loop) out.
//!
//! The command line reads files from disk and calls [`Engine::check`] for each; the language
//! server calls it with the text of the editor's buffer. Neither adds analysis of its own, so a
//! finding in the editor is exactly the finding `lockfix --dry-run` reports for the same text.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use lockfix_transforms::analysis::SemanticFacts;
use lockfix_transforms::analysis::crate_index::CrateIndex;
use lockfix_transforms::{Applicability, FileAnalysis, Fix, Options};

use crate::fix::analysis::{AnalysisPanic, Analyzer, TransformsAnalyzer, catch_panic};
use crate::fix::fix_loop::{self, Decision, FixOutcome};
use crate::input::config::{ConfigResolver, FileConfig, Overrides, Settings};
use crate::input::edition::{EditionResolver, FALLBACK_EDITION, ManifestWarning};

/// Which fixes the fix loop applies to the checked text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixPolicy {
    /// None: the outcome's text is the input, its findings carry their fixes (diagnostics).
    None,
    /// The safe fixes only (an editor's "fix all" on save).
    SafeOnly,
    /// The safe fixes, and the unsafe ones when the file's settings allow them (the CLI).
    AsConfigured,
}

/// What [`Engine::check`] made of one text.
#[derive(Debug, Clone)]
pub struct FileCheck {
    /// What the transforms were run with (the edition, the rules, the configured lists).
    pub options: Options,
    /// The file's settings allow unsafe fixes.
    pub unsafe_fixes: bool,
    /// Unused or malformed suppressions fail the run.
    pub strict_suppressions: bool,
    /// The fix loop's record; with [`FixPolicy::None`], the analysis of the input only.
    pub outcome: FixOutcome,
    /// The file's configuration could not be read: it was checked with the defaults instead.
    pub config_error: Option<String>,
}

/// The settings of a run (or of an editor session) and the caches that make checking many files
/// cheap: each directory's configuration and edition are looked up once.
#[derive(Debug)]
pub struct Engine {
    configs: Arc<ConfigResolver>,
    overrides: Overrides,
    editions: Mutex<EditionResolver>,
}

impl Engine {
    pub fn new(configs: Arc<ConfigResolver>, overrides: Overrides) -> Engine {
        Engine {
            configs,
            overrides,
            editions: Mutex::new(EditionResolver::new()),
        }
    }

    /// The configuration files' resolver this engine reads.
    pub fn configs(&self) -> &Arc<ConfigResolver> {
        &self.configs
    }

    /// Checks `text`, the contents of the file at `path` (absolute; `None` for a buffer that was
    /// never saved, which gets the defaults). `facts` are the semantic tier's, when it resolved
    /// the file. Fails only when the analysis of `text` itself panics.
    pub fn check(
        &self,
        path: Option<&Path>,
        text: &str,
        facts: Option<Arc<SemanticFacts>>,
        policy: FixPolicy,
    ) -> Result<FileCheck, AnalysisPanic> {
        self.check_in_crate(path, text, facts, None, policy)
    }

    /// [`Engine::check`], also with what the other files of the file's crate say about the
    /// methods it calls ([`CrateIndex`]).
    pub fn check_in_crate(
        &self,
        path: Option<&Path>,
        text: &str,
        facts: Option<Arc<SemanticFacts>>,
        crate_index: Option<Arc<CrateIndex>>,
        policy: FixPolicy,
    ) -> Result<FileCheck, AnalysisPanic> {
        let (file_config, config_error) = match path.map(|path| self.configs.for_file(path)) {
            Some(Ok(config)) => (config, None),
            Some(Err(error)) => (None, Some(error)),
            None => (None, None),
        };
        let settings = Settings::resolve(&self.overrides, file_config.as_deref());
        let unsafe_fixes = settings.unsafe_fixes.0;
        let mut options = self.options(path, &settings, file_config.as_deref(), facts);
        options.crate_index = crate_index;
        let outcome = match policy {
            FixPolicy::None => {
                let analysis = catch_panic(|| lockfix_transforms::analyze(text, &options))?;
                unfixed(text, analysis)
            }
            FixPolicy::SafeOnly | FixPolicy::AsConfigured => {
                let allow_unsafe = policy == FixPolicy::AsConfigured && unsafe_fixes;
                let mut apply_all = |_: &str, _: &_| Decision::Apply;
                catch_panic(|| fix_loop::fix_source(text, &options, allow_unsafe, &mut apply_all))
                    .and_then(|outcome| outcome)?
            }
        };
        Ok(FileCheck {
            options,
            unsafe_fixes,
            strict_suppressions: settings.strict_suppressions.0,
            outcome,
            config_error,
        })
    }

    /// The fix loop over `text`, which `checked` is the analysis-only check of, applying the
    /// safe fixes: an editor's "fix all". The check's analysis is the loop's first, so only what
    /// the fixes change is analysed again.
    pub fn fix_all(&self, text: &str, checked: &FileCheck) -> Result<FixOutcome, AnalysisPanic> {
        let mut analyzer = Reusing {
            first: Some(checked.outcome.initial.clone()),
            inner: TransformsAnalyzer::new(&checked.options),
        };
        let mut apply_all = |_: &str, _: &_| Decision::Apply;
        catch_panic(|| fix_loop::fix_with(text, &mut analyzer, false, &mut apply_all))
            .and_then(|outcome| outcome)
    }

    /// Whether `fix`, applied alone to `text` (whose parse has `errors_before` syntax errors),
    /// keeps it parsing as well: the fix loop checks this for every fix it applies, and a fix
    /// offered on its own (an editor's quick fix) deserves the same care. `false` also when the
    /// edits are out of range.
    pub fn fix_applies_cleanly(
        &self,
        text: &str,
        errors_before: usize,
        options: &Options,
        fix: &Fix,
    ) -> bool {
        let Ok(after) = crate::fix::edit::apply_edits(text, &fix.edits) else {
            return false;
        };
        catch_panic(|| lockfix_transforms::syntax_error_count(&after, options.edition))
            .is_ok_and(|errors| errors <= errors_before)
    }

    /// The edition of the crate that owns `path` (absolute).
    pub fn edition_for(&self, path: &Path) -> lockfix_transforms::Edition {
        self.lock_editions().edition_for(path)
    }

    /// Problems met in `Cargo.toml` files while looking up editions, each manifest once.
    pub fn take_manifest_warnings(&self) -> Vec<ManifestWarning> {
        self.lock_editions().take_warnings()
    }

    /// The options the transforms run with for the file at `path`.
    fn options(
        &self,
        path: Option<&Path>,
        settings: &Settings,
        file_config: Option<&FileConfig>,
        facts: Option<Arc<SemanticFacts>>,
    ) -> Options {
        let ignored = path.map_or_else(Vec::new, |path| {
            crate::input::config::ignored_for(file_config, path)
        });
        Options {
            edition: path.map_or(FALLBACK_EDITION, |path| {
                self.lock_editions().edition_for(path)
            }),
            rules: settings
                .rules()
                .into_iter()
                .filter(|rule| !ignored.contains(rule))
                .collect(),
            extra: file_config.map_or_else(Default::default, |file| file.extra),
            facts,
            test_file: path.is_some_and(is_test_file),
            crate_index: None,
        }
    }

    fn lock_editions(&self) -> std::sync::MutexGuard<'_, EditionResolver> {
        self.editions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An analyzer whose first answer is already known.
struct Reusing<'a> {
    first: Option<FileAnalysis>,
    inner: TransformsAnalyzer<'a>,
}

impl Analyzer for Reusing<'_> {
    fn analyze(&mut self, source: &str) -> Result<FileAnalysis, AnalysisPanic> {
        match self.first.take() {
            Some(known) => Ok(known),
            None => self.inner.analyze(source),
        }
    }

    fn syntax_error_count(&mut self, source: &str) -> Result<usize, AnalysisPanic> {
        self.inner.syntax_error_count(source)
    }
}

/// Whether a fix may be applied under a policy that allows unsafe fixes or not.
pub fn allowed(fix: &Fix, allow_unsafe: bool) -> bool {
    fix.applicability == Applicability::Safe || allow_unsafe
}

/// The outcome of a check that fixes nothing.
fn unfixed(text: &str, analysis: FileAnalysis) -> FixOutcome {
    FixOutcome {
        text: text.to_owned(),
        remaining: analysis.clone(),
        initial: analysis,
        applied: Vec::new(),
        dropped: Vec::new(),
        passes: 0,
        converged: true,
        withheld_for_syntax_errors: false,
    }
}

/// `path` (relative to `cwd` or absolute) as an absolute path without `.` components: the form
/// configuration lookups and their roots share.
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    std::path::absolute(&joined).unwrap_or(joined)
}

/// Whether `path` is under the `tests/` or `benches/` folder of the crate that owns it (the
/// nearest folder up with a `Cargo.toml`): integration tests and benchmarks, whose findings are
/// information.
pub fn is_test_file(path: &Path) -> bool {
    let Some(root) = path
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.toml").is_file())
    else {
        return false;
    };
    path.strip_prefix(root)
        .ok()
        .and_then(|rel| rel.components().next())
        .is_some_and(|first| matches!(first.as_os_str().to_str(), Some("tests" | "benches")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A std guard held during bcrypt: one finding with a safe fix.
    const HELD: &str = include_str!("../../tests/server_fixtures/login.rs");

    #[test]
    fn analysis_only_keeps_the_text_and_the_fixes() {
        let engine = Engine::new(Arc::new(ConfigResolver::discover()), Overrides::default());
        let check = engine.check(None, HELD, None, FixPolicy::None).unwrap();
        assert_eq!(check.outcome.text, HELD);
        assert!(check.outcome.applied.is_empty());
        let finding = check
            .outcome
            .initial
            .findings
            .iter()
            .find(|f| f.fix.is_some())
            .expect("a fixable finding");
        let fix = finding.fix.as_ref().unwrap();
        assert!(engine.fix_applies_cleanly(HELD, 0, &check.options, fix));
        let fixed = engine.check(None, HELD, None, FixPolicy::SafeOnly).unwrap();
        assert_ne!(fixed.outcome.text, HELD);
        // The fix-all from the check reaches the same text as the fix loop from scratch.
        let fix_all = engine.fix_all(HELD, &check).unwrap();
        assert_eq!(fix_all.text, fixed.outcome.text);
        assert_eq!(fix_all.applied, fixed.outcome.applied);
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_not_clean() {
        let engine = Engine::new(Arc::new(ConfigResolver::discover()), Overrides::default());
        let options = Options::all_rules(FALLBACK_EDITION);
        let broken = Fix {
            title: "break it".into(),
            applicability: Applicability::Safe,
            edits: vec![lockfix_transforms::TextEdit {
                range: 0..0,
                replacement: "{".into(),
            }],
        };
        assert!(!engine.fix_applies_cleanly(HELD, 0, &options, &broken));
        let out_of_range = Fix {
            edits: vec![lockfix_transforms::TextEdit {
                range: 0..HELD.len() + 1,
                replacement: String::new(),
            }],
            ..broken
        };
        assert!(!engine.fix_applies_cleanly(HELD, 0, &options, &out_of_range));
    }
}
