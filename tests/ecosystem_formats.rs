//! End-to-end tests of the CI formats (`--format sarif|github`), `--statistics` and
//! `--list-rules`: the built binary, run in temporary directories.
//!
//! The SARIF log is validated against the SARIF 2.1.0 schema (`sarif-2.1.0-rtm.5`, the OASIS
//! standard's final schema), vendored from the npm package `@microsoft/jest-sarif`.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{TICK, lockfix};
use serde_json::Value;

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn sarif_validator() -> jsonschema::Validator {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif-2.1.0-rtm.5.schema.json");
    let text = fs::read_to_string(schema_path).expect("schema");
    // The schema's `run.language` pattern has a stray `]`, a literal in ECMAScript regexes but a
    // syntax error to the Rust regex engine the validator uses; escaping it keeps the meaning.
    let text = text.replace(r#"-[a-zA-Z]{2}]?$"#, r#"-[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&text).expect("json");
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{log:#}");
}

#[test]
fn sarif_is_valid_and_carries_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/tick.rs"), TICK).unwrap();
    let output = lockfix(dir.path(), &["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_valid_sarif(&log);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "guard-across-await");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/tick.rs");
    assert_eq!(location["region"]["startLine"], 2);
    let fix = &result["fixes"][0];
    assert_eq!(fix["properties"]["applicability"], "safe");
    let replacements = fix["artifactChanges"][0]["replacements"]
        .as_array()
        .expect("replacements");
    assert!(!replacements.is_empty());
    // The rule the result points at is the one it names.
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][index]["id"],
        "guard-across-await"
    );
}

#[test]
fn sarif_of_the_seed_examples_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = lockfix(root, &["--format", "sarif", "examples"]);
    let log: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_valid_sarif(&log);
    assert!(
        !log["runs"][0]["results"].as_array().unwrap().is_empty(),
        "the seeds have findings"
    );
}

#[test]
fn the_validator_rejects_a_broken_log() {
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(!sarif_validator().is_valid(&broken), "a run without a tool");
}

#[test]
fn github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a,b.rs"), TICK).unwrap();
    let output = lockfix(dir.path(), &["--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let line = text.lines().next().expect("one annotation");
    assert!(
        line.starts_with("::error file=a%2Cb.rs,line=2,col=5,"),
        "{text}"
    );
    assert!(
        line.contains("title=lockfix guard-across-await::"),
        "{text}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn statistics_count_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), TICK).unwrap();
    fs::write(dir.path().join("b.rs"), TICK).unwrap();
    let output = lockfix(dir.path(), &["--statistics"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|line| line.split_whitespace().collect::<Vec<_>>()
                == ["2", "guard-across-await", "2", "fixable"]),
        "{text}"
    );
    assert!(!text.contains("@@"), "no diffs with --statistics: {text}");
    // Issue 16, defect 10: the times add up to the total.
    let phases: Vec<f64> = text
        .lines()
        .filter_map(|line| line.strip_prefix("time: "))
        .map(|line| {
            let seconds = line.rsplit(": ").next().unwrap().trim_end_matches(" s");
            seconds.parse::<f64>().unwrap()
        })
        .collect();
    let (total, parts) = phases.split_last().expect("timing lines");
    let sum: f64 = parts.iter().sum();
    assert!((sum - total).abs() < 0.02, "{text}");

    // Issue 16, defect 10: statistics as JSON.
    let json = lockfix(dir.path(), &["--statistics", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document["statistics"][0]["rule"], "guard-across-await");
    assert_eq!(document["statistics"][0]["findings"], 2);
    assert_eq!(document["statistics"][0]["fixable"], 2);
    assert!(
        document["timings"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    let sarif = lockfix(dir.path(), &["--statistics", "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(2));
}

#[test]
fn list_rules_prints_every_id() {
    let dir = tempfile::tempdir().unwrap();
    let output = lockfix(dir.path(), &["--list-rules"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for rule in [
        "guard-across-await",
        "read-then-write",
        "double-lock",
        "std-lock-in-async",
        "lock-order-inversion",
    ] {
        assert!(
            text.lines().any(|line| line.starts_with(rule)),
            "{rule}: {text}"
        );
    }
    assert!(
        text.contains("A lock guard is alive at an `.await`"),
        "{text}"
    );
}

#[test]
fn completions_and_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let bash = lockfix(dir.path(), &["--completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    assert!(
        stdout(&bash).contains("--unsafe-fixes"),
        "{}",
        stdout(&bash)
    );
    // Issue 16: rule names are offered for --select, --ignore and --explain.
    assert!(
        stdout(&bash).contains("guard-across-await"),
        "{}",
        stdout(&bash)
    );
    let fish = lockfix(dir.path(), &["--completions", "fish"]);
    let fish = stdout(&fish);
    for flag in ["select", "ignore", "explain"] {
        let start = fish
            .find(&format!("-l {flag} "))
            .expect("the flag is completed");
        let entry = fish[start..]
            .split("complete -c")
            .next()
            .unwrap_or_default();
        assert!(entry.contains("read-then-write"), "{flag}: {fish}");
    }
    let man = lockfix(dir.path(), &["--man-page"]);
    assert_eq!(man.status.code(), Some(0));
    let man = stdout(&man);
    assert!(man.starts_with(".ie"), "{man}");
    // Issue 16: the man page lists the rules, the configuration and the exit status.
    for section in [".SH RULES", ".SH CONFIGURATION", ".SH \"EXIT STATUS\""] {
        assert!(man.contains(section), "{section}: {man}");
    }
    assert!(man.contains("guard\\-across\\-await"), "{man}");
}

#[test]
fn pre_commit_hooks_run_the_binary() {
    let hooks =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect("the hooks file");
    assert!(hooks.contains("- id: lockfix\n"));
    assert!(hooks.contains("entry: lockfix --dry-run"));
}

/// Colour only on a terminal: piped output is plain, `CLICOLOR_FORCE` forces colour, `NO_COLOR`
/// wins over nothing else forcing it.
#[test]
fn colour_follows_the_terminal_and_the_conventions() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lockfix"));
        command.arg(".").current_dir(dir.path());
        command
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR");
        for (key, value) in env {
            command.env(key, value);
        }
        String::from_utf8_lossy(&command.output().expect("lockfix runs").stdout).into_owned()
    };
    let escape = '\u{1b}';
    assert!(!run(&[]).contains(escape), "piped output is plain");
    // Issue 16: --color decides over the terminal and the conventions.
    let with_flag = |flag: &str, env: (&str, &str)| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_lockfix"))
            .args([".", "--color", flag])
            .current_dir(dir.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env(env.0, env.1)
            .output()
            .expect("lockfix runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(with_flag("always", ("NO_COLOR", "1")).contains(escape));
    assert!(!with_flag("never", ("CLICOLOR_FORCE", "1")).contains(escape));
    assert!(
        run(&[("CLICOLOR_FORCE", "1")]).contains(escape),
        "CLICOLOR_FORCE colours"
    );
    assert!(
        !run(&[("NO_COLOR", "1")]).contains(escape),
        "NO_COLOR stays plain"
    );
}
