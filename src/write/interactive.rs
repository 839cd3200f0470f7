//! `--interactive`: show each fix and ask, one key press per answer.
//!
//! The terminal is in raw mode only while waiting for a key, and a guard restores it on every way
//! out (answer, error, panic): a crashed prompt must not leave the user's shell without echo.
//! Output goes to standard error, so that standard output holds only the final report.
//!
//! Keys, as in `git add -p`: `y` apply, `n` skip, `a` apply this and the rest of this file, `A`
//! apply this and every remaining fix in every file, `d` skip the rest of this file, `q` quit and
//! write what was accepted, `?` help (also shown after any other key). Ctrl-C aborts without
//! writing anything. Each question says where it is in the session: `(3/7)`.

use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use lockfix_transforms::Finding;

use crate::fix::fix_loop::Decision;
use crate::input::line_index::LineIndex;
use crate::output::diff;
use crate::output::human;

/// An answer to the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Yes,
    No,
    /// `a`: this fix and the rest of this file.
    AllInFile,
    /// `A`: this fix and the rest of every file.
    All,
    SkipFile,
    Quit,
    Help,
    Abort,
    /// Any other key: the help is shown.
    Unknown(char),
}

const HELP: &str = "\
y - apply this fix
n - skip this fix
a - apply this fix and the remaining fixes in this file
A - apply this fix and all remaining fixes in every file
d - skip the remaining fixes in this file
q - quit; fixes accepted so far are written
? - show this help
Ctrl-C - abort; nothing is written
";

/// Whether `--interactive` can work: it reads single key presses from a terminal.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Asks about fixes and remembers the answers that outlive one fix (`a`, `q`, Ctrl-C).
pub struct Prompter {
    read_key: Box<dyn FnMut() -> io::Result<Key>>,
    out: Box<dyn Write>,
    apply_all: bool,
    apply_rest_of_file: bool,
    quit: bool,
    aborted: bool,
    /// Questions asked so far, and how many the session is expected to ask (the fixes an
    /// `--apply` would make; answers can change what later passes find, so it is a bound the
    /// counter grows past rather than a promise).
    asked: usize,
    total: usize,
}

impl Prompter {
    /// A prompter on the terminal.
    pub fn terminal() -> Prompter {
        Prompter::new(Box::new(read_key), Box::new(anstream::stderr()))
    }

    /// A prompter with scripted keys and captured output, for tests.
    pub fn new(read_key: Box<dyn FnMut() -> io::Result<Key>>, out: Box<dyn Write>) -> Prompter {
        Prompter {
            read_key,
            out,
            apply_all: false,
            apply_rest_of_file: false,
            quit: false,
            aborted: false,
            asked: 0,
            total: 0,
        }
    }

    /// How many fixes the session will ask about, for the `(k/N)` counter.
    pub fn set_total(&mut self, total: usize) {
        self.total = total;
    }

    /// A new file: `a` (the rest of a file) no longer applies.
    pub fn start_file(&mut self) {
        self.apply_rest_of_file = false;
    }

    /// The user pressed `q` or Ctrl-C: ask nothing more.
    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// The user pressed Ctrl-C: write nothing.
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// The `accept` callback of the fix loop for the file shown as `path`.
    pub fn decide(&mut self, path: &str, text: &str, finding: &Finding) -> Decision {
        if self.quit {
            return Decision::Stop;
        }
        if self.apply_all || self.apply_rest_of_file {
            return Decision::Apply;
        }
        self.asked += 1;
        self.total = self.total.max(self.asked);
        // Output errors are ignored: the answer still comes from the keyboard, and a closed
        // standard error must not turn into applied or lost fixes.
        let _ = self.show(path, text, finding);
        loop {
            let _ = write!(
                self.out,
                "({}/{}) Apply this fix? [y,n,a,A,d,q,?] ",
                self.asked, self.total
            );
            let _ = self.out.flush();
            let key = (self.read_key)().unwrap_or(Key::Abort);
            let _ = writeln!(self.out, "{}", key_name(key));
            match key {
                Key::Yes => return Decision::Apply,
                Key::No => return Decision::Skip,
                Key::AllInFile => {
                    self.apply_rest_of_file = true;
                    return Decision::Apply;
                }
                Key::All => {
                    self.apply_all = true;
                    return Decision::Apply;
                }
                Key::SkipFile => return Decision::Stop,
                Key::Quit => {
                    self.quit = true;
                    return Decision::Stop;
                }
                Key::Abort => {
                    self.quit = true;
                    self.aborted = true;
                    return Decision::Stop;
                }
                Key::Help => {
                    let _ = write!(self.out, "{HELP}");
                }
                Key::Unknown(_) => {
                    let _ = write!(
                        self.out,
                        "that key means nothing here; the keys are:\n{HELP}"
                    );
                }
            }
        }
    }

    fn show(&mut self, path: &str, text: &str, finding: &Finding) -> io::Result<()> {
        let Some(fix) = &finding.fix else {
            return Ok(());
        };
        let lines = LineIndex::new(text);
        let position = lines.line_col(text, finding.range.start);
        let bold = Style::new().bold();
        let rule = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
        writeln!(
            self.out,
            "\n{rule}{}{rule:#} ({} fix) {bold}{path}:{}:{}{bold:#}",
            finding.rule,
            fix.applicability.as_str(),
            position.line,
            position.column
        )?;
        writeln!(self.out, "{}", finding.message)?;
        writeln!(self.out, "fix: {}", fix.title)?;
        let diff = diff::fix_diff(path, text, &lines, fix).unwrap_or_default();
        human::write_diff(&mut self.out, &diff)
    }
}

fn key_name(key: Key) -> String {
    match key {
        Key::Yes => "y".to_owned(),
        Key::No => "n".to_owned(),
        Key::AllInFile => "a".to_owned(),
        Key::All => "A".to_owned(),
        Key::SkipFile => "d".to_owned(),
        Key::Quit => "q".to_owned(),
        Key::Help => "?".to_owned(),
        Key::Abort => "^C".to_owned(),
        Key::Unknown(c) => c.to_string(),
    }
}

/// Raw mode for as long as the guard lives.
struct RawMode;

impl RawMode {
    fn enable() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Waits for one of the answer keys; others are ignored.
fn read_key() -> io::Result<Key> {
    let _raw = RawMode::enable()?;
    loop {
        let Event::Key(KeyEvent {
            code,
            modifiers,
            kind,
            ..
        }) = event::read()?
        else {
            continue;
        };
        if kind != KeyEventKind::Press {
            continue;
        }
        if modifiers.contains(KeyModifiers::CONTROL) {
            if matches!(code, KeyCode::Char('c' | 'd')) {
                return Ok(Key::Abort);
            }
            continue;
        }
        let key = match code {
            KeyCode::Char(c) => match c {
                'y' | 'Y' => Key::Yes,
                'n' | 'N' => Key::No,
                'a' => Key::AllInFile,
                'A' => Key::All,
                'd' | 'D' => Key::SkipFile,
                'q' | 'Q' => Key::Quit,
                '?' | 'h' | 'H' => Key::Help,
                other => Key::Unknown(other),
            },
            KeyCode::Esc => Key::Quit,
            _ => continue,
        };
        return Ok(key);
    }
}

#[cfg(test)]
mod tests {
    use lockfix_transforms::{Applicability, Fix, RuleId, Severity, TextEdit};

    use super::*;

    fn finding() -> Finding {
        Finding {
            tier: Default::default(),
            rule: RuleId::GuardAcrossAwait,
            severity: Severity::Error,
            range: 0..1,
            message: "held".to_owned(),
            labels: Vec::new(),
            help: None,
            fix: Some(Fix {
                title: "Fix it".to_owned(),
                applicability: Applicability::Safe,
                edits: vec![TextEdit {
                    range: 0..1,
                    replacement: "y".to_owned(),
                }],
            }),
        }
    }

    fn scripted(keys: Vec<Key>) -> Prompter {
        let mut keys = keys.into_iter();
        Prompter::new(
            Box::new(move || Ok(keys.next().unwrap_or(Key::Abort))),
            Box::new(io::sink()),
        )
    }

    #[test]
    fn answers_map_to_decisions() {
        let mut prompter = scripted(vec![Key::Help, Key::Yes, Key::No, Key::SkipFile]);
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Apply);
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Skip);
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Stop);
        assert!(!prompter.quit_requested());
    }

    #[test]
    fn all_and_quit_are_remembered() {
        let mut prompter = scripted(vec![Key::All]);
        for _ in 0..3 {
            assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Apply);
        }
        // `a` holds for the rest of the file only.
        let mut prompter = scripted(vec![Key::Unknown('x'), Key::AllInFile, Key::No]);
        prompter.start_file();
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Apply);
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Apply);
        prompter.start_file();
        assert_eq!(prompter.decide("b.rs", "x\n", &finding()), Decision::Skip);
        let mut prompter = scripted(vec![Key::Quit]);
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Stop);
        assert!(prompter.quit_requested() && !prompter.aborted());
        assert_eq!(prompter.decide("b.rs", "x\n", &finding()), Decision::Stop);
    }

    #[test]
    fn a_failing_keyboard_aborts() {
        let mut prompter = Prompter::new(
            Box::new(|| Err(io::Error::other("tty gone"))),
            Box::new(io::sink()),
        );
        assert_eq!(prompter.decide("a.rs", "x\n", &finding()), Decision::Stop);
        assert!(prompter.aborted());
    }
}
