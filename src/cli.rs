//! The command line. Its options and exit codes are a contract (CI scripts and other tools
//! depend on them): see the README before changing anything here.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};
use clap::{ArgGroup, Parser, ValueEnum};
use lockfix_transforms::{RuleId, rule_docs};

use crate::interactive::{self, Prompter};
use crate::report::{ExitCode, Mode};
use crate::rules;
use crate::run::{RunConfig, run};
use crate::{human, json};

/// Finds lock guards that live too long in async Rust (held across `.await`, blocking work or a
/// second lock of the same lock) and rewrites them.
#[derive(Debug, Parser)]
#[command(name = "lockfix", version, max_term_width = 100)]
#[command(group(ArgGroup::new("mode").args(["dry_run", "apply", "interactive"])))]
#[command(
    after_help = "Exit status: 0 nothing found (or everything fixed), 1 findings remain, \
                        2 usage or internal error."
)]
pub struct Cli {
    /// Files or directories to check; directories are searched for *.rs files, honouring
    /// .gitignore.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Report and show the unified diff of the fixes; write nothing (the default).
    #[arg(long)]
    pub dry_run: bool,

    /// Write the safe fixes (and the unsafe ones with --unsafe-fixes).
    #[arg(long)]
    pub apply: bool,

    /// Show each fix and ask whether to apply it; write what was accepted.
    #[arg(short = 'i', long)]
    pub interactive: bool,

    /// Also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Run only these rules (comma-separated).
    #[arg(long, value_name = "RULE,...", value_delimiter = ',', value_parser = rules::parse_rule_id)]
    pub select: Vec<RuleId>,

    /// Do not run these rules (comma-separated).
    #[arg(long, value_name = "RULE,...", value_delimiter = ',', value_parser = rules::parse_rule_id)]
    pub ignore: Vec<RuleId>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write even when git reports uncommitted changes in the files to be written, or when they
    /// are not in a git repository.
    #[arg(long)]
    pub allow_dirty: bool,

    /// After writing, run `cargo check --all-targets` on each affected workspace and roll back
    /// the files whose fixes do not compile. Opt-in because cargo check runs the build scripts
    /// and procedural macros of your project, i.e. executes its code. Runs cargo with --offline.
    #[arg(long)]
    pub verify: bool,

    /// Print the documentation of a rule and exit.
    #[arg(long, value_name = "RULE", value_parser = rules::parse_rule_id)]
    pub explain: Option<RuleId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

impl Cli {
    pub fn mode(&self) -> Mode {
        if self.apply {
            Mode::Apply
        } else if self.interactive {
            Mode::Interactive
        } else {
            Mode::DryRun
        }
    }
}

/// The binary's entry point: returns the process exit code.
pub fn main() -> i32 {
    run_with_args(std::env::args_os())
}

/// Runs lockfix with `args` (the first one is the program name), printing to standard output
/// and standard error; returns the exit code.
pub fn run_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap's own exit codes: 0 for --help and --version, 2 for usage errors.
            let _ = error.print();
            return error.exit_code();
        }
    };
    match execute(&cli) {
        Ok(code) => code as i32,
        Err(message) => {
            print_error(&message);
            ExitCode::Error as i32
        }
    }
}

fn execute(cli: &Cli) -> Result<ExitCode, String> {
    if let Some(rule) = cli.explain {
        return explain(rule);
    }
    let mode = cli.mode();
    if mode == Mode::Interactive && !interactive::stdin_is_terminal() {
        return Err(
            "--interactive needs a terminal on standard input to ask about each fix; \
                    use --dry-run to review or --apply to write without asking"
                .to_owned(),
        );
    }
    if cli.verify && !mode.writes() {
        return Err(
            "--verify checks what was written: use it with --apply or --interactive".to_owned(),
        );
    }
    let selected = rules::selected_rules(&cli.select, &cli.ignore);
    let unimplemented = rules::unimplemented(&selected);
    if !unimplemented.is_empty() {
        let ids: Vec<&str> = unimplemented.iter().map(|rule| rule.as_str()).collect();
        print_warning(&format!(
            "not implemented yet, so they find nothing: {}",
            ids.join(", ")
        ));
    }
    let config = RunConfig {
        paths: cli.paths.clone(),
        mode,
        unsafe_fixes: cli.unsafe_fixes,
        rules: selected,
        allow_dirty: cli.allow_dirty,
        verify: cli.verify,
    };
    let cwd = std::env::current_dir()
        .map_err(|error| format!("cannot read the current directory: {error}"))?;
    let mut prompter = (mode == Mode::Interactive).then(Prompter::terminal);
    let report = run(&config, &cwd, prompter.as_mut()).map_err(|error| error.to_string())?;

    // A closed pipe (`lockfix | head`) is not an error of the run: the exit code still tells.
    let mut stdout = anstream::stdout().lock();
    match cli.format {
        Format::Human => {
            let _ = human::write_errors(&mut anstream::stderr().lock(), &report.errors);
            let _ = human::write_report(&mut stdout, &report);
        }
        Format::Json => {
            let _ = json::write_report(&mut stdout, &report);
        }
    }
    let _ = stdout.flush();
    Ok(report.exit_code())
}

/// `--explain RULE`: the rule's documentation, as written in its transform.
fn explain(rule: RuleId) -> Result<ExitCode, String> {
    let doc = rule_docs().into_iter().find(|doc| doc.id == rule).ok_or_else(|| {
        format!("rule `{rule}` is not implemented in this version of lockfix, so it has no documentation yet")
    })?;
    let mut stdout = anstream::stdout().lock();
    let _ = writeln!(
        stdout,
        "# {}\n\n{}\n\n{}",
        doc.id,
        doc.summary,
        doc.explanation.trim_end()
    );
    Ok(ExitCode::Clean)
}

fn print_error(message: &str) {
    let style = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let _ = writeln!(anstream::stderr(), "{style}error{style:#}: {message}");
}

fn print_warning(message: &str) {
    let style = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
    let _ = writeln!(anstream::stderr(), "{style}warning{style:#}: {message}");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn modes_are_exclusive_and_dry_run_is_the_default() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("lockfix").chain(args.iter().copied()))
        };
        assert_eq!(parse(&[]).unwrap().mode(), Mode::DryRun);
        assert_eq!(parse(&["--apply"]).unwrap().mode(), Mode::Apply);
        assert_eq!(parse(&["-i"]).unwrap().mode(), Mode::Interactive);
        assert!(parse(&["--apply", "--dry-run"]).is_err());
        assert!(parse(&["--apply", "-i"]).is_err());
        let cli = parse(&[
            "--select",
            "double-lock,guard-across-await",
            "--ignore",
            "double-lock",
            "a",
            "b",
        ])
        .unwrap();
        assert_eq!(cli.select, [RuleId::DoubleLock, RuleId::GuardAcrossAwait]);
        assert_eq!(cli.paths, [PathBuf::from("a"), PathBuf::from("b")]);
        let error = parse(&["--select", "guard-acros-await"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error
                .to_string()
                .contains("did you mean `guard-across-await`?"),
            "{error}"
        );
    }
}
