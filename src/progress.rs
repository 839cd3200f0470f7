//! The progress bar of a long run: on standard error, only when it is a terminal, never for the
//! machine formats (JSON, SARIF) — their readers want one clean document — and not while
//! `--interactive` owns the terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Trees smaller than this finish in well under a second; a bar would only flicker.
const MIN_FILES: usize = 500;

/// Whether a run with these properties shows a progress bar.
pub fn wanted(machine_format: bool, interactive: bool, stderr_is_terminal: bool) -> bool {
    !machine_format && !interactive && stderr_is_terminal
}

/// A bar over `files` files, or a hidden one when the run is short or `show` is false.
pub fn bar(show: bool, files: usize) -> ProgressBar {
    if !show || files < MIN_FILES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} checking {pos}/{len} files {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_for_machine_formats_or_pipes() {
        assert!(wanted(false, false, true));
        assert!(!wanted(true, false, true), "json/sarif");
        assert!(!wanted(false, true, true), "interactive");
        assert!(!wanted(false, false, false), "not a terminal");
        assert!(bar(true, 10).is_hidden(), "a short run");
    }
}
