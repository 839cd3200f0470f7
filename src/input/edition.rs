//! Which edition a file is parsed with: the one of the crate that owns it.
//!
//! The edition matters to the analysis (temporaries in `if let` scrutinees and tail expressions
//! are dropped earlier from 2024 on), so it is taken from the nearest `Cargo.toml` above the file:
//!
//! - `[package] edition = "…"` is used as is;
//! - `edition.workspace = true` takes `[workspace.package] edition` of the workspace root (the
//!   `package.workspace` path if given, else the nearest manifest above with a `[workspace]`);
//! - a package without an `edition` key is 2015, as cargo treats it;
//! - a virtual manifest (a `[workspace]` without `[package]`) gives its `[workspace.package]`
//!   edition, else 2021;
//! - with no `Cargo.toml` at all, and when a manifest cannot be read, the file is parsed as 2021:
//!   a loose file is most likely recent code, and 2021 parses both older and most newer code.
//!
//! Results are cached per directory: every file of a crate shares one lookup.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use lockfix_transforms::Edition;
use toml::Table;

/// The edition of files no manifest speaks for.
pub const FALLBACK_EDITION: Edition = Edition::Edition2021;

/// A manifest problem met while looking for an edition; the file is still analysed (with
/// [`FALLBACK_EDITION`]), and the user is told once per manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestWarning {
    pub manifest: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct EditionResolver {
    by_dir: HashMap<PathBuf, Edition>,
    manifests: HashMap<PathBuf, Option<Table>>,
    warnings: Vec<ManifestWarning>,
}

impl EditionResolver {
    pub fn new() -> EditionResolver {
        EditionResolver::default()
    }

    /// The edition for `file`, an absolute path (or one relative to the current directory).
    pub fn edition_for(&mut self, file: &Path) -> Edition {
        let Some(dir) = file.parent() else {
            return FALLBACK_EDITION;
        };
        let mut visited = Vec::new();
        let mut edition = FALLBACK_EDITION;
        for ancestor in dir.ancestors() {
            if let Some(&cached) = self.by_dir.get(ancestor) {
                edition = cached;
                break;
            }
            visited.push(ancestor.to_path_buf());
            let manifest_path = ancestor.join("Cargo.toml");
            if !manifest_path.is_file() {
                continue;
            }
            edition = self.manifest_edition(ancestor, &manifest_path);
            break;
        }
        for dir in visited {
            self.by_dir.insert(dir, edition);
        }
        edition
    }

    /// Problems met so far, each manifest once.
    pub fn take_warnings(&mut self) -> Vec<ManifestWarning> {
        std::mem::take(&mut self.warnings)
    }

    fn manifest_edition(&mut self, dir: &Path, manifest_path: &Path) -> Edition {
        let Some(manifest) = self.manifest(manifest_path) else {
            return FALLBACK_EDITION;
        };
        let Some(package) = manifest.get("package") else {
            let edition = workspace_package_edition(&manifest).cloned();
            return match edition {
                Some(value) => self.parse_edition(manifest_path, &value),
                None => FALLBACK_EDITION,
            };
        };
        match package.get("edition") {
            None => Edition::Edition2015,
            Some(toml::Value::Table(table))
                if table.get("workspace").and_then(toml::Value::as_bool) == Some(true) =>
            {
                let explicit_root = package.get("workspace").and_then(toml::Value::as_str);
                let explicit_root = explicit_root.map(|root| dir.join(root));
                self.inherited_edition(dir, explicit_root, manifest_path)
            }
            Some(value) => {
                let value = value.clone();
                self.parse_edition(manifest_path, &value)
            }
        }
    }

    /// `edition.workspace = true`: the edition in the workspace root's `[workspace.package]`.
    fn inherited_edition(
        &mut self,
        package_dir: &Path,
        explicit_root: Option<PathBuf>,
        member_manifest: &Path,
    ) -> Edition {
        let roots: Vec<PathBuf> = match explicit_root {
            Some(root) => vec![root],
            // The package's own manifest first: a root package can be its workspace's root.
            None => package_dir.ancestors().map(Path::to_path_buf).collect(),
        };
        for root in roots {
            let manifest_path = root.join("Cargo.toml");
            if !manifest_path.is_file() {
                continue;
            }
            let Some(manifest) = self.manifest(&manifest_path) else {
                return FALLBACK_EDITION;
            };
            if !manifest.contains_key("workspace") {
                continue;
            }
            return match workspace_package_edition(&manifest).cloned() {
                Some(value) => self.parse_edition(&manifest_path, &value),
                None => {
                    self.warn(
                        &manifest_path,
                        "`edition.workspace = true` is used, but the workspace has no \
                         `[workspace.package] edition`",
                    );
                    FALLBACK_EDITION
                }
            };
        }
        self.warn(
            member_manifest,
            "`edition.workspace = true`, but no workspace root was found",
        );
        FALLBACK_EDITION
    }

    fn parse_edition(&mut self, manifest_path: &Path, value: &toml::Value) -> Edition {
        match value.as_str().map(str::parse::<Edition>) {
            Some(Ok(edition)) => edition,
            // An edition newer than the parser knows: the newest known one is the closest.
            Some(Err(_)) => {
                let message = format!(
                    "unknown edition {value}; parsing as {}",
                    Edition::LATEST.number()
                );
                self.warn(manifest_path, &message);
                Edition::LATEST
            }
            None => {
                self.warn(
                    manifest_path,
                    &format!("`edition` should be a string, not {value}"),
                );
                FALLBACK_EDITION
            }
        }
    }

    /// The parsed manifest, read once; `None` (with a warning) when it cannot be read or parsed.
    fn manifest(&mut self, path: &Path) -> Option<Table> {
        if let Some(cached) = self.manifests.get(path) {
            return cached.clone();
        }
        let parsed = match fs::read_to_string(path) {
            Ok(text) => match text.parse::<Table>() {
                Ok(table) => Some(table),
                Err(error) => {
                    let message = format!(
                        "could not parse the manifest ({}); assuming edition {}",
                        error.message(),
                        FALLBACK_EDITION.number()
                    );
                    self.warn(path, &message);
                    None
                }
            },
            Err(error) => {
                let message = format!(
                    "could not read the manifest ({error}); assuming edition {}",
                    FALLBACK_EDITION.number()
                );
                self.warn(path, &message);
                None
            }
        };
        self.manifests.insert(path.to_path_buf(), parsed.clone());
        parsed
    }

    fn warn(&mut self, manifest: &Path, message: &str) {
        let warning = ManifestWarning {
            manifest: manifest.to_path_buf(),
            message: message.to_owned(),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

fn workspace_package_edition(manifest: &Table) -> Option<&toml::Value> {
    manifest.get("workspace")?.get("package")?.get("edition")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn editions_come_from_the_owning_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"*\"]\n[workspace.package]\nedition = \"2018\"\n",
        );
        write(
            root,
            "inherits/Cargo.toml",
            "[package]\nname = \"a\"\nedition.workspace = true\n",
        );
        write(
            root,
            "own/Cargo.toml",
            "[package]\nname = \"b\"\nedition = \"2024\"\n",
        );
        write(root, "none/Cargo.toml", "[package]\nname = \"c\"\n");
        write(root, "broken/Cargo.toml", "[package\n");
        write(root, "future/Cargo.toml", "[package]\nedition = \"2093\"\n");

        let mut resolver = EditionResolver::new();
        let edition =
            |resolver: &mut EditionResolver, file: &str| resolver.edition_for(&root.join(file));
        assert_eq!(
            edition(&mut resolver, "inherits/src/lib.rs"),
            Edition::Edition2018
        );
        assert_eq!(
            edition(&mut resolver, "inherits/src/deep/mod.rs"),
            Edition::Edition2018
        );
        assert_eq!(
            edition(&mut resolver, "own/src/main.rs"),
            Edition::Edition2024
        );
        assert_eq!(
            edition(&mut resolver, "none/src/lib.rs"),
            Edition::Edition2015
        );
        // The virtual manifest speaks for loose files next to it.
        assert_eq!(edition(&mut resolver, "loose.rs"), Edition::Edition2018);
        assert_eq!(
            edition(&mut resolver, "broken/src/lib.rs"),
            FALLBACK_EDITION
        );
        assert_eq!(edition(&mut resolver, "future/src/lib.rs"), Edition::LATEST);
        let warnings = resolver.take_warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0]
                .message
                .starts_with("could not parse the manifest")
        );
        assert!(warnings[1].message.starts_with("unknown edition \"2093\""));
    }

    #[test]
    fn a_root_package_inherits_from_its_own_workspace_table() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "Cargo.toml",
            "[workspace]\nmembers = [\".\"]\n[workspace.package]\nedition = \"2024\"\n\n\
             [package]\nname = \"root\"\nedition.workspace = true\n",
        );
        let mut resolver = EditionResolver::new();
        assert_eq!(
            resolver.edition_for(&dir.path().join("src/lib.rs")),
            Edition::Edition2024
        );
        assert!(resolver.take_warnings().is_empty());
    }

    #[test]
    fn no_manifest_means_2021() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/b.rs", "");
        let mut resolver = EditionResolver::new();
        // The temp dir may itself sit below some Cargo.toml only in odd setups; /tmp has none.
        assert_eq!(
            resolver.edition_for(&dir.path().join("a/b.rs")),
            FALLBACK_EDITION
        );
    }

    #[test]
    fn explicit_workspace_path_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "ws/Cargo.toml",
            "[workspace]\n[workspace.package]\nedition = \"2024\"\n",
        );
        write(
            root,
            "elsewhere/member/Cargo.toml",
            "[package]\nworkspace = \"../../ws\"\nedition = { workspace = true }\n",
        );
        let mut resolver = EditionResolver::new();
        assert_eq!(
            resolver.edition_for(&root.join("elsewhere/member/src/lib.rs")),
            Edition::Edition2024
        );
    }
}
