//! The command line. Its options and exit codes are a contract (CI scripts and other tools
//! depend on them): see the README before changing anything here.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};
use clap::{ArgGroup, Parser, ValueEnum};
use lockfix_transforms::{RuleId, rule_docs};

use crate::config::{FileConfig, Source};
use crate::interactive::{self, Prompter};
use crate::report::{ExitCode, Mode};
use crate::rules;
use crate::run::{RunConfig, run};
use crate::semantic::SemanticMode;
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

    /// The semantic tier: load the Cargo workspace with rust-analyzer to resolve lock types across
    /// files. `auto` loads it only for workspaces where the syntax tier found something to settle;
    /// `on` for every workspace that owns a scanned file; `off` never. Never touches the network: cargo
    /// runs offline, and without the rust-src component a bundled stub standard library is used.
    #[arg(long, value_enum, default_value_t = SemanticMode::Auto, value_name = "WHEN")]
    pub semantic: SemanticMode,

    /// Let the semantic tier run build scripts (`cargo check`), for code generated into OUT_DIR.
    /// Off by default: it runs the project's code.
    #[arg(long)]
    pub semantic_build_scripts: bool,

    /// Let the semantic tier expand procedural macros with the toolchain's proc-macro server.
    /// Off by default: it runs the project's code.
    #[arg(long)]
    pub semantic_proc_macros: bool,

    /// Print the documentation of a rule and exit.
    #[arg(long, value_name = "RULE", value_parser = rules::parse_rule_id)]
    pub explain: Option<RuleId>,

    /// Write a `// lockfix: ignore[rule] TODO(lockfix): …` comment above every line with a
    /// finding, so that only new findings are reported from now on.
    #[arg(long, conflicts_with_all = ["apply", "interactive"])]
    pub add_ignore: bool,

    /// Print the effective settings, and where each came from (default, configuration file or
    /// command line), and exit.
    #[arg(long)]
    pub show_settings: bool,

    /// Report only findings that FILE (a baseline) does not record.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every current finding in the --baseline file, and exit.
    #[arg(long, requires = "baseline", conflicts_with_all = ["apply", "interactive", "add_ignore"])]
    pub update_baseline: bool,

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long)]
    pub man_page: bool,

    /// Print every rule with its one-line summary and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// Print how many findings each rule reported (and how many are fixable) instead of the
    /// findings (human format only).
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
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
    if let Some(shell) = cli.completions {
        use clap::CommandFactory;
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "lockfix",
            &mut std::io::stdout(),
        );
        return Ok(ExitCode::Clean);
    }
    if cli.man_page {
        use clap::CommandFactory;
        clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|error| format!("cannot write the man page: {error}"))?;
        return Ok(ExitCode::Clean);
    }
    if cli.list_rules {
        let _ = crate::rule_list::write_rule_list(&mut anstream::stdout().lock());
        return Ok(ExitCode::Clean);
    }
    if cli.statistics && cli.format != Format::Human {
        return Err(
            "--statistics prints a table for people; it works with --format human only".to_owned(),
        );
    }
    let mode = if cli.add_ignore {
        Mode::DryRun
    } else {
        cli.mode()
    };
    if mode == Mode::Interactive && !interactive::stdin_is_terminal() {
        return Err(
            "--interactive needs a terminal on standard input to ask about each fix; \
                    use --dry-run to review or --apply to write without asking"
                .to_owned(),
        );
    }
    let cwd = std::env::current_dir()
        .map_err(|error| format!("cannot read the current directory: {error}"))?;
    let file_config = crate::config::load(&cwd)?;
    let settings = Settings::resolve(cli, file_config.as_ref());
    if cli.show_settings {
        let _ = write!(
            anstream::stdout(),
            "{}",
            settings.describe(file_config.as_ref())
        );
        return Ok(ExitCode::Clean);
    }
    if cli.verify && !mode.writes() {
        return Err(
            "--verify checks what was written: use it with --apply or --interactive".to_owned(),
        );
    }
    let selected = rules::selected_rules(&settings.select.0, &settings.ignore.0);
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
        unsafe_fixes: settings.unsafe_fixes.0,
        rules: selected,
        allow_dirty: cli.allow_dirty,
        extra: file_config.as_ref().map_or_else(Default::default, |file| {
            lockfix_transforms::analysis::effects::Extra::leak(
                &file.extra_blocking,
                &file.extra_emitters,
                &file.extra_lock_types,
            )
        }),
        file_config,
        progress: crate::progress::wanted(
            matches!(cli.format, Format::Json | Format::Sarif),
            mode == Mode::Interactive,
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ),
        verify: cli.verify,
        semantic: crate::semantic::SemanticConfig {
            mode: cli.semantic,
            build_scripts: cli.semantic_build_scripts,
            proc_macros: cli.semantic_proc_macros,
        },
    };
    let mut prompter = (mode == Mode::Interactive).then(Prompter::terminal);
    let mut report = run(&config, &cwd, prompter.as_mut()).map_err(|error| error.to_string())?;
    if let Some(baseline) = &cli.baseline {
        if cli.update_baseline {
            let recorded = crate::baseline::write(baseline, &report)?;
            let _ = writeln!(
                anstream::stderr(),
                "recorded {} in {}",
                crate::report::plural(recorded, "finding"),
                baseline.display()
            );
            return Ok(ExitCode::Clean);
        }
        crate::baseline::filter(baseline, &mut report)?;
    }
    if cli.add_ignore {
        return add_ignore(&report, &cwd, cli.allow_dirty);
    }

    // A closed pipe (`lockfix | head`) is not an error of the run: the exit code still tells.
    let mut stdout = anstream::stdout().lock();
    match cli.format {
        Format::Human if cli.statistics => {
            let _ = human::write_errors(&mut anstream::stderr().lock(), &report.errors);
            let _ = crate::statistics::write_statistics(&mut stdout, &report);
            let _ = writeln!(stdout, "{}", human::summary_line(&report));
        }
        Format::Human => {
            let _ = human::write_errors(&mut anstream::stderr().lock(), &report.errors);
            let _ = human::write_report(&mut stdout, &report);
        }
        Format::Sarif => {
            let _ = crate::sarif::write_report(&mut stdout, &report);
        }
        Format::Github => {
            let _ = crate::github::write_report(&mut stdout, &report);
        }
        Format::Json => {
            let _ = json::write_report(&mut stdout, &report);
        }
    }
    let _ = stdout.flush();
    Ok(report.exit_code())
}

/// The settings the command line and the configuration file decide, with where each came from:
/// a flag given on the command line wins over the file.
struct Settings {
    select: (Vec<RuleId>, Source),
    ignore: (Vec<RuleId>, Source),
    unsafe_fixes: (bool, Source),
}

impl Settings {
    fn resolve(cli: &Cli, file: Option<&FileConfig>) -> Settings {
        let from_file = |value: Option<&Vec<RuleId>>| {
            value
                .zip(file)
                .map(|(rules, file)| (rules.clone(), Source::File(file.origin.clone())))
        };
        let pick = |flag: &Vec<RuleId>, value: Option<&Vec<RuleId>>| {
            if flag.is_empty() {
                from_file(value).unwrap_or((Vec::new(), Source::Default))
            } else {
                (flag.clone(), Source::CommandLine)
            }
        };
        let unsafe_fixes = if cli.unsafe_fixes {
            (true, Source::CommandLine)
        } else {
            file.and_then(|file| {
                file.unsafe_fixes
                    .map(|value| (value, Source::File(file.origin.clone())))
            })
            .unwrap_or((false, Source::Default))
        };
        Settings {
            select: pick(&cli.select, file.and_then(|f| f.select.as_ref())),
            ignore: pick(&cli.ignore, file.and_then(|f| f.ignore.as_ref())),
            unsafe_fixes,
        }
    }

    fn describe(&self, file: Option<&FileConfig>) -> String {
        let list = |rules: &[RuleId]| {
            let ids: Vec<String> = rules.iter().map(|rule| format!("\"{rule}\"")).collect();
            format!("[{}]", ids.join(", "))
        };
        let select = if self.select.0.is_empty() {
            "[] (every rule)".to_owned()
        } else {
            list(&self.select.0)
        };
        let mut settings = vec![
            ("select", select, self.select.1.clone()),
            ("ignore", list(&self.ignore.0), self.ignore.1.clone()),
            (
                "unsafe-fixes",
                self.unsafe_fixes.0.to_string(),
                self.unsafe_fixes.1.clone(),
            ),
        ];
        match file {
            Some(file) => {
                for (name, list) in [
                    ("extra-blocking-functions", &file.extra_blocking),
                    ("extra-event-emitters", &file.extra_emitters),
                    ("extra-lock-types", &file.extra_lock_types),
                ] {
                    let quoted: Vec<String> = list.iter().map(|call| format!("{call:?}")).collect();
                    let source = if list.is_empty() {
                        Source::Default
                    } else {
                        Source::File(file.origin.clone())
                    };
                    settings.push((name, format!("[{}]", quoted.join(", ")), source));
                }
                for ignore in &file.per_path_ignores {
                    settings.push((
                        "per-path-ignores",
                        format!("\"{}\" = {}", ignore.glob, list(&ignore.rules)),
                        Source::File(file.origin.clone()),
                    ));
                }
            }
            None => settings.push(("per-path-ignores", "{}".to_owned(), Source::Default)),
        }
        let origin = file.map_or("none found".to_owned(), |file| {
            format!("{} in {}", file.origin, file.root.display())
        });
        format!(
            "# configuration: {origin}\n{}",
            crate::config::describe(&settings)
        )
    }
}

/// `--add-ignore`: writes the comments and says how many; findings remain only where no comment
/// could be written.
fn add_ignore(
    report: &crate::report::Report,
    cwd: &std::path::Path,
    allow_dirty: bool,
) -> Result<ExitCode, String> {
    let added = crate::add_ignore::add_ignore_comments(report, cwd, allow_dirty)?;
    let mut stderr = anstream::stderr().lock();
    let _ = human::write_errors(&mut stderr, &report.errors);
    let _ = human::write_errors(&mut stderr, &added.errors);
    let _ = writeln!(
        anstream::stdout(),
        "added {} to {}",
        crate::report::plural(added.comments, "ignore comment"),
        crate::report::plural(added.files, "file")
    );
    Ok(if added.errors.is_empty() {
        ExitCode::Clean
    } else {
        ExitCode::FindingsRemain
    })
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
