//! The command line. Its options and exit codes are a contract (CI scripts and other tools
//! depend on them): see the README before changing anything here.

pub mod cargo_subcommand;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgGroup, CommandFactory, FromArgMatches, Parser, ValueEnum};
use lockfix_transforms::{RuleId, rule_docs};

use crate::fix::semantic::SemanticMode;
use crate::input::config::{ConfigResolver, Overrides, Settings};
use crate::input::discover::Excludes;
use crate::input::rules::{self, RuleIdParser};
use crate::output::{human, json};
use crate::report::{ExitCode, Mode};
use crate::run::{RunConfig, run};
use crate::write::interactive::{self, Prompter};

/// Finds lock guards that live too long in async Rust (held across `.await`, blocking work or a
/// second lock of the same lock) and rewrites them.
#[derive(Debug, Parser)]
#[command(name = "lockfix", version, max_term_width = 100)]
#[command(group(ArgGroup::new("mode").args(["dry_run", "apply", "interactive"])))]
#[command(after_help = AFTER_HELP)]
pub struct Cli {
    /// Files or directories to check; directories are searched for *.rs files, honouring
    /// .gitignore. `-` reads one file from standard input (see --stdin-filename).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Report and show the unified diff of the fixes; write nothing (the default).
    #[arg(long, help_heading = "Mode")]
    pub dry_run: bool,

    /// Write the safe fixes (and the unsafe ones with --unsafe-fixes). `--fix` is the same.
    #[arg(long, visible_alias = "fix", help_heading = "Mode")]
    pub apply: bool,

    /// Show each fix and ask whether to apply it; write what was accepted.
    #[arg(short = 'i', long, help_heading = "Mode")]
    pub interactive: bool,

    /// Write a `// lockfix: ignore[rule] TODO(lockfix): …` comment above every line with a
    /// finding, so that only new findings are reported from now on.
    #[arg(long, conflicts_with_all = ["apply", "interactive"], help_heading = "Mode")]
    pub add_ignore: bool,

    /// Also apply fixes marked unsafe.
    #[arg(long, help_heading = "Rules")]
    pub unsafe_fixes: bool,

    /// Run only these rules (comma-separated; snake_case and the equivalent clippy lint names are
    /// accepted).
    #[arg(long, value_name = "RULE,...", value_delimiter = ',', value_parser = RuleIdParser, hide_possible_values = true, help_heading = "Rules")]
    pub select: Vec<RuleId>,

    /// Do not run these rules (comma-separated).
    #[arg(long, value_name = "RULE,...", value_delimiter = ',', value_parser = RuleIdParser, hide_possible_values = true, help_heading = "Rules")]
    pub ignore: Vec<RuleId>,

    /// Fail (exit 1) on `// lockfix: ignore[..]` comments that suppress nothing or are malformed.
    #[arg(long, help_heading = "Rules")]
    pub strict_suppressions: bool,

    /// Report only findings that FILE (a baseline) does not record.
    #[arg(long, value_name = "FILE", help_heading = "Rules")]
    pub baseline: Option<PathBuf>,

    /// Record every current finding in the --baseline file, and exit.
    #[arg(long, requires = "baseline", conflicts_with_all = ["apply", "interactive", "add_ignore"], help_heading = "Rules")]
    pub update_baseline: bool,

    /// Use this configuration file for every file instead of looking for `lockfix.toml` (or
    /// `.lockfix.toml`, or `Cargo.toml` metadata) from each file's directory upwards.
    #[arg(long, value_name = "FILE", help_heading = "Files")]
    pub config: Option<PathBuf>,

    /// Do not walk into files or directories matching GLOB (relative to the current directory,
    /// or a bare name matched anywhere); repeatable or comma-separated. Adds to the configuration's
    /// `extend-exclude` and to cargo's build directories, which are always left out.
    #[arg(
        long,
        value_name = "GLOB",
        value_delimiter = ',',
        help_heading = "Files"
    )]
    pub exclude: Vec<String>,

    /// The path of the file read from standard input (`-`): shown in the report and used to find
    /// its configuration and edition.
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub stdin_filename: Option<PathBuf>,

    /// Write even when git reports uncommitted changes in the files to be written, or when they
    /// are not in a git repository.
    #[arg(long, help_heading = "Writing")]
    pub allow_dirty: bool,

    /// After writing, run `cargo check --all-targets` on each affected workspace and roll back
    /// the files whose fixes do not compile. Opt-in because cargo check runs the build scripts
    /// and procedural macros of your project, i.e. executes its code. Runs cargo with --offline.
    #[arg(long, help_heading = "Writing")]
    pub verify: bool,

    /// Output format: `concise` is one line per finding.
    #[arg(long, value_enum, default_value_t = Format::Human, help_heading = "Output")]
    pub format: Format,

    /// Print how many findings each rule reported (and how many are fixable) and where the time
    /// went, instead of the findings (a JSON document with --format json).
    #[arg(long, help_heading = "Output")]
    pub statistics: bool,

    /// Print the findings and nothing else: no diffs, summary or hints.
    #[arg(short = 'q', long, help_heading = "Output")]
    pub quiet: bool,

    /// When to colour the output (`auto`: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, help_heading = "Output")]
    pub color: ColorWhen,

    /// Exit with 0 even when findings remain (errors still exit with 2).
    #[arg(long, help_heading = "Output")]
    pub exit_zero: bool,

    /// The semantic tier: load the Cargo workspace with rust-analyzer to resolve lock types across
    /// files. `auto` loads it only for workspaces where the syntax tier found something to settle;
    /// `on` for every workspace that owns a scanned file; `off` never. Never touches the network: cargo
    /// runs offline, and without the rust-src component a bundled stub standard library is used.
    #[arg(long, value_enum, default_value_t = SemanticMode::Auto, value_name = "WHEN", help_heading = "Semantic tier")]
    pub semantic: SemanticMode,

    /// Let the semantic tier run build scripts (`cargo check`), for code generated into OUT_DIR.
    /// Off by default: it runs the project's code.
    #[arg(long, help_heading = "Semantic tier")]
    pub semantic_build_scripts: bool,

    /// Let the semantic tier expand procedural macros with the toolchain's proc-macro server.
    /// Off by default: it runs the project's code.
    #[arg(long, help_heading = "Semantic tier")]
    pub semantic_proc_macros: bool,

    /// Print the documentation of a rule and exit.
    #[arg(long, value_name = "RULE", value_parser = RuleIdParser, hide_possible_values = true, help_heading = "Information")]
    pub explain: Option<RuleId>,

    /// Print every rule with its one-line summary and exit.
    #[arg(long, help_heading = "Information")]
    pub list_rules: bool,

    /// Print the effective settings for the first PATH (as TOML, each with where it came from)
    /// and exit.
    #[arg(long, help_heading = "Information")]
    pub show_settings: bool,

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL", help_heading = "Information")]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long, help_heading = "Information")]
    pub man_page: bool,
}

const AFTER_HELP: &str = "Exit status: 0 nothing found (or everything fixed), 1 findings remain, \
                          2 usage or internal error, a path that could not be checked, or no Rust \
                          file found.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    /// One line per finding: `path:line:column: severity[rule]: message`.
    Concise,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
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

    /// Whether the command reads any project: help-like flags never need one, so they work
    /// anywhere (`cargo lockfix --explain R` outside a package too).
    pub fn needs_project(&self) -> bool {
        self.explain.is_none() && !self.list_rules && self.completions.is_none() && !self.man_page
    }
}

/// The command line of `lockfix`, or of `cargo lockfix` (`cargo`), which adds cargo's package
/// selection under its own heading.
pub fn command(cargo: bool) -> clap::Command {
    let command = Cli::command();
    if !cargo {
        return command;
    }
    command
        .name("cargo-lockfix")
        .bin_name("cargo lockfix")
        .next_help_heading("Package selection")
        .arg(
            Arg::new("manifest_path")
                .long("manifest-path")
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Path to Cargo.toml"),
        )
        .arg(
            Arg::new("package")
                .short('p')
                .long("package")
                .value_name("SPEC")
                .action(ArgAction::Append)
                .help("Package to check (repeatable); PATHs given must lie inside them"),
        )
        .arg(
            Arg::new("workspace")
                .long("workspace")
                .alias("all")
                .action(ArgAction::SetTrue)
                .help("Check every member of the workspace"),
        )
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
    run_command(args, false)
}

/// Parses `args` with [`command`] and runs; with `cargo`, the package selection decides the
/// paths.
pub fn run_command<I, T>(args: I, cargo: bool) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `lockfix server` is the language server, as `ruff server` is ruff's. A directory named
    // `server` is checked as `lockfix ./server`.
    if !cargo && args.get(1).is_some_and(|arg| arg == "server") {
        return crate::server::command(&args[2..]);
    }
    let parsed = command(cargo)
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            // clap's own exit codes: 0 for --help and --version, 2 for usage errors.
            let _ = error.print();
            return error.exit_code();
        }
    };
    anstream::ColorChoice::write_global(match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
    if cargo && cli.needs_project() {
        let selection = crate::cli::cargo_subcommand::Selection {
            manifest_path: matches.get_one::<PathBuf>("manifest_path").cloned(),
            packages: matches
                .get_many::<String>("package")
                .map(|names| names.cloned().collect())
                .unwrap_or_default(),
            workspace: matches.get_flag("workspace"),
        };
        let explicit = matches.value_source("paths") == Some(ValueSource::CommandLine);
        match crate::cli::cargo_subcommand::paths_to_check(
            &selection,
            explicit.then_some(&cli.paths),
        ) {
            Ok(paths) => cli.paths = paths,
            Err(message) => {
                print_error(&message);
                return ExitCode::Error as i32;
            }
        }
    }
    match execute(&cli) {
        Ok(code) if cli.exit_zero && code == ExitCode::FindingsRemain => ExitCode::Clean as i32,
        Ok(code) => code as i32,
        Err(message) => {
            print_error(&message);
            ExitCode::Error as i32
        }
    }
}

fn execute(cli: &Cli) -> Result<ExitCode, String> {
    let started = std::time::Instant::now();
    if let Some(rule) = cli.explain {
        return explain(rule);
    }
    if let Some(shell) = cli.completions {
        clap_complete::generate(
            shell,
            &mut command(false),
            "lockfix",
            &mut std::io::stdout(),
        );
        return Ok(ExitCode::Clean);
    }
    if cli.man_page {
        let mut stdout = std::io::stdout().lock();
        clap_mangen::Man::new(command(false))
            .render(&mut stdout)
            .and_then(|()| {
                stdout.write_all(crate::output::rule_list::man_page_sections().as_bytes())
            })
            .map_err(|error| format!("cannot write the man page: {error}"))?;
        return Ok(ExitCode::Clean);
    }
    if cli.list_rules {
        let _ = crate::output::rule_list::write_rule_list(&mut anstream::stdout().lock());
        return Ok(ExitCode::Clean);
    }
    if cli.statistics && !matches!(cli.format, Format::Human | Format::Json) {
        return Err(
            "--statistics prints a table (--format human) or a JSON document (--format json)"
                .to_owned(),
        );
    }
    let reads_stdin = cli.paths.iter().any(|path| path.as_os_str() == "-");
    if reads_stdin && cli.paths.len() > 1 {
        return Err("`-` (standard input) must be the only PATH".to_owned());
    }
    if reads_stdin && (cli.interactive || cli.add_ignore || cli.update_baseline || cli.verify) {
        return Err(
            "`-` (standard input) cannot be used with -i, --add-ignore, --update-baseline or \
             --verify: they work on files"
                .to_owned(),
        );
    }
    if cli.stdin_filename.is_some() && !reads_stdin {
        return Err(
            "--stdin-filename names the file read from `-`; give `-` as the PATH".to_owned(),
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
    let configs = Arc::new(match &cli.config {
        Some(path) => ConfigResolver::explicit(path)?,
        None => ConfigResolver::discover(),
    });
    let overrides = Overrides {
        select: cli.select.clone(),
        ignore: cli.ignore.clone(),
        unsafe_fixes: cli.unsafe_fixes,
        strict_suppressions: cli.strict_suppressions,
    };
    let paths = match (&cli.stdin_filename, reads_stdin) {
        (Some(name), true) => vec![name.clone()],
        _ => cli.paths.clone(),
    };
    if cli.show_settings {
        let first = cwd.join(paths.first().map_or(Path::new("."), PathBuf::as_path));
        let first = std::path::absolute(&first).unwrap_or(first);
        let file_config = if first.is_dir() {
            configs.for_dir(&first)?
        } else {
            configs.for_file(&first)?
        };
        let settings = Settings::resolve(&overrides, file_config.as_deref());
        let mut stdout = anstream::stdout();
        for (dir, message) in configs.take_warnings() {
            let dir = crate::input::discover::display_path(Path::new(&dir), &cwd);
            print_warning(&format!("{dir}: {message}"));
        }
        let _ = write!(stdout, "{}", settings.describe(file_config.as_deref()));
        return Ok(ExitCode::Clean);
    }
    if cli.verify && !mode.writes() {
        return Err(
            "--verify checks what was written: use it with --apply or --interactive".to_owned(),
        );
    }
    let unimplemented = rules::unimplemented(&rules::selected_rules(&cli.select, &cli.ignore));
    if !unimplemented.is_empty() {
        let ids: Vec<&str> = unimplemented.iter().map(|rule| rule.as_str()).collect();
        print_warning(&format!(
            "not implemented yet, so they find nothing: {}",
            ids.join(", ")
        ));
    }
    let stdin = if reads_stdin {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .map_err(|error| format!("cannot read standard input: {error}"))?;
        Some(String::from_utf8(text).map_err(|_| "standard input is not valid UTF-8".to_owned())?)
    } else {
        None
    };
    let excludes = Excludes {
        globs: Arc::new(
            crate::input::config::glob_set(&cli.exclude)
                .map_err(|error| format!("--exclude {error}"))?,
        ),
        configs: configs.clone(),
    };
    let progress = crate::report::progress::wanted(
        matches!(cli.format, Format::Json | Format::Sarif),
        mode == Mode::Interactive,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    );
    let config = RunConfig {
        paths,
        // Standard input is never written: `--apply` prints the fixed text instead.
        mode: if reads_stdin { Mode::DryRun } else { mode },
        unsafe_fixes: cli.unsafe_fixes,
        overrides,
        configs,
        excludes,
        stdin: stdin.clone(),
        allow_dirty: cli.allow_dirty,
        progress,
        verify: cli.verify,
        semantic: crate::fix::semantic::SemanticConfig {
            mode: cli.semantic,
            build_scripts: cli.semantic_build_scripts,
            proc_macros: cli.semantic_proc_macros,
            progress,
        },
    };
    if mode == Mode::Interactive {
        // The first question needs every file analysed (and maybe a workspace loaded): say so
        // rather than leave the terminal blank.
        let _ = writeln!(
            anstream::stderr(),
            "lockfix: loading and analysing the files; the first question follows…"
        );
    }
    let mut prompter = (mode == Mode::Interactive).then(Prompter::terminal);
    let mut report = run(&config, &cwd, prompter.as_mut()).map_err(|error| error.to_string())?;
    if let Some(baseline) = &cli.baseline {
        if cli.update_baseline {
            let recorded = crate::write::baseline::write(baseline, &report)?;
            let _ = writeln!(
                anstream::stderr(),
                "recorded {} in {}",
                crate::report::plural(recorded, "finding"),
                baseline.display()
            );
            return Ok(ExitCode::Clean);
        }
        crate::write::baseline::filter(baseline, &mut report)?;
    }
    if cli.add_ignore {
        return add_ignore(&report, &cwd, cli.allow_dirty);
    }
    if let (Some(original), true) = (stdin, mode.writes()) {
        return Ok(print_fixed_stdin(cli, report, &original));
    }

    // A closed pipe (`lockfix | head`) is not an error of the run: the exit code still tells.
    // Buffered: a report of thousands of findings is many small writes. Only the formats for
    // people have colours for anstream to strip; the machine formats (plain text by
    // construction) skip its byte-by-byte scan.
    let for_people = matches!(cli.format, Format::Human | Format::Concise);
    let buffered: Box<dyn Write> = Box::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout().lock(),
    ));
    let choice = if for_people {
        anstream::AutoStream::choice(&std::io::stdout())
    } else {
        anstream::ColorChoice::AlwaysAnsi
    };
    let mut stdout = anstream::AutoStream::new(buffered, choice);
    let mut stderr = anstream::stderr().lock();
    // The machine formats carry the errors in their document.
    if for_people {
        let _ = human::write_errors(&mut stderr, &report.errors);
        if !cli.quiet {
            let _ = human::write_notes(&mut stderr, &report.notes);
        }
        // `--verify`: one outcome line per workspace checked, passed or not.
        for outcome in &report.verify {
            let _ = writeln!(stderr, "{}", outcome.line());
        }
    }
    match cli.format {
        Format::Human if cli.statistics => {
            let _ = crate::output::statistics::write_statistics(
                &mut stdout,
                &report,
                started.elapsed(),
            );
            let _ = writeln!(stdout, "{}", human::summary_line(&report));
        }
        Format::Json if cli.statistics => {
            let _ = json::write_statistics(&mut stdout, &report, started.elapsed());
        }
        Format::Human => {
            let _ = human::write_report(&mut stdout, &report, cli.quiet);
        }
        Format::Concise => {
            let _ = human::write_concise(&mut stdout, &report, cli.quiet);
        }
        Format::Sarif => {
            let _ = crate::output::sarif::write_report(&mut stdout, &report);
        }
        Format::Github => {
            let _ = crate::output::github::write_report(&mut stdout, &report);
        }
        Format::Json => {
            let _ = json::write_report(&mut stdout, &report);
        }
    }
    if report.failing_suppressions > 0 && for_people && !cli.quiet {
        let _ = writeln!(
            stderr,
            "{} fail the run (strict suppressions)",
            crate::report::plural(
                report.failing_suppressions,
                "unused or malformed suppression"
            )
        );
    }
    let _ = stdout.flush();
    Ok(report.exit_code())
}

/// `lockfix --apply -` (as `rustfmt` and `ruff --fix -` do): the fixed text on standard output,
/// the findings that remain on standard error.
fn print_fixed_stdin(cli: &Cli, mut report: crate::report::Report, original: &str) -> ExitCode {
    let mut stderr = anstream::stderr().lock();
    let _ = human::write_errors(&mut stderr, &report.errors);
    let text = match report.stdin_fixed.take() {
        Some(fixed) => {
            let text = fixed.text.clone();
            report.files = vec![fixed];
            text
        }
        None => original.to_owned(),
    };
    report.mode = Mode::Apply;
    let _ = match cli.format {
        Format::Concise => human::write_concise(&mut stderr, &report, true),
        _ => human::write_report(&mut stderr, &report, true),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    report.exit_code()
}

/// `--add-ignore`: writes the comments and says how many; findings remain only where no comment
/// could be written.
fn add_ignore(
    report: &crate::report::Report,
    cwd: &std::path::Path,
    allow_dirty: bool,
) -> Result<ExitCode, String> {
    let added = crate::write::add_ignore::add_ignore_comments(report, cwd, allow_dirty)?;
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
        "# {}\n\n{}\n\n{}\n\nOnline: {}",
        doc.id,
        doc.summary,
        doc.explanation.trim_end(),
        rules::doc_url(doc.id)
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
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        command(false).debug_assert();
        command(true).debug_assert();
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
