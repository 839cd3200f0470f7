//! The progress bar of a long run: on standard error, only when it is a terminal, never for the
//! machine formats (JSON, SARIF) — their readers want one clean document — and not while
//! `--interactive` owns the terminal. Long phases of unknown length (the semantic tier) get a
//! [`Spinner`] naming what they wait for.

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

/// A phase shorter than this shows nothing: a spinner that flashes is noise.
const SPINNER_DELAY: Duration = Duration::from_millis(500);

/// A spinner naming a phase of unknown length ("loading workspace app/Cargo.toml"), shown once
/// the phase has lasted `SPINNER_DELAY`, cleared when dropped; nothing at all unless `show`.
pub struct Spinner(ProgressBar);

impl Spinner {
    pub fn start(show: bool, message: String) -> Spinner {
        if !show {
            return Spinner(ProgressBar::hidden());
        }
        // Drawn nowhere until the delay has passed: setting the message would draw it at once.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        // The delay runs on its own thread so the phase itself is not interrupted; a phase that
        // ends first has finished the bar, which then never appears.
        let delayed = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SPINNER_DELAY);
            if !delayed.is_finished() {
                delayed.set_draw_target(ProgressDrawTarget::stderr());
                delayed.enable_steady_tick(Duration::from_millis(100));
            }
        });
        Spinner(bar)
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
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
