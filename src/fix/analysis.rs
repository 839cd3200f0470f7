//! Running the transforms without letting a panic take the whole run down.
//!
//! rust-analyzer's parser (0.0.345) panics on at least one real file, and a transform bug can panic
//! too. Each file is therefore analysed under `catch_unwind`; a panic becomes an error entry for
//! that file and the run goes on. The default panic message is silenced while analysing, because
//! it would be printed in the middle of the report and say nothing the error entry does not.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

use lockfix_transforms::{FileAnalysis, Options};

/// What the fix loop needs from the analysis. The real one is
/// [`TransformsAnalyzer`]; tests substitute fakes.
pub trait Analyzer {
    /// Findings and syntax errors of `source`, or the panic the analysis ended in.
    fn analyze(&mut self, source: &str) -> Result<FileAnalysis, AnalysisPanic>;
    /// The number of parse errors in `source`: a fix must never increase it.
    fn syntax_error_count(&mut self, source: &str) -> Result<usize, AnalysisPanic>;
}

/// A panic caught while analysing or fixing one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisPanic {
    pub message: String,
}

impl fmt::Display for AnalysisPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lockfix panicked on this file ({}); this is a lockfix bug",
            self.message
        )
    }
}

impl std::error::Error for AnalysisPanic {}

/// The real analyzer: `lockfix_transforms` under `catch_unwind`.
pub struct TransformsAnalyzer<'a> {
    options: &'a Options,
}

impl<'a> TransformsAnalyzer<'a> {
    pub fn new(options: &'a Options) -> Self {
        TransformsAnalyzer { options }
    }
}

impl Analyzer for TransformsAnalyzer<'_> {
    fn analyze(&mut self, source: &str) -> Result<FileAnalysis, AnalysisPanic> {
        catch_panic(|| lockfix_transforms::analyze(source, self.options))
    }

    fn syntax_error_count(&mut self, source: &str) -> Result<usize, AnalysisPanic> {
        catch_panic(|| lockfix_transforms::syntax_error_count(source, self.options.edition))
    }
}

thread_local! {
    /// Set while this thread runs code whose panics are caught and reported by [`catch_panic`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// What the silenced hook saw: the payload and the location, for the error entry.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into an [`AnalysisPanic`] without printing the usual panic message.
///
/// `AssertUnwindSafe` is sound here: whatever `f` was mutating when it panicked is discarded by
/// the callers (the file is reported as an error and not written).
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, AnalysisPanic> {
    install_quiet_hook();
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(was_quiet));
    result.map_err(|payload| {
        let message = LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| payload_text(payload.as_ref()));
        AnalysisPanic { message }
    })
}

/// Wraps the process's panic hook once: quiet threads record the panic, others print as usual.
fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if QUIET.with(Cell::get) {
                let description = match info.location() {
                    Some(location) => format!("{} at {location}", payload_text(info.payload())),
                    None => payload_text(info.payload()),
                };
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(description));
            } else {
                default_hook(info);
            }
        }));
    });
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message_and_location() {
        let error = catch_panic(|| -> u32 { panic!("boom {}", 42) }).unwrap_err();
        assert!(
            error.message.starts_with("boom 42 at "),
            "{}",
            error.message
        );
        assert!(error.message.contains("analysis.rs"), "{}", error.message);
        assert_eq!(catch_panic(|| 7), Ok(7));
    }

    #[test]
    fn nested_catches_restore_quietness() {
        let outer = catch_panic(|| {
            let inner = catch_panic(|| -> () { panic!("inner") });
            assert!(inner.is_err());
            assert!(QUIET.with(Cell::get));
            panic!("outer")
        });
        assert!(outer.unwrap_err().message.starts_with("outer"));
        assert!(!QUIET.with(Cell::get));
    }
}
