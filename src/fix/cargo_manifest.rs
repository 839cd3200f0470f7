//! Makes a crate's `Cargo.toml` depend on tokio with the `sync` feature.
//!
//! The std→tokio lock swap rewrites a `std::sync` lock to `tokio::sync`'s, which only compiles when
//! tokio's `sync` feature is on. The manifest is edited with `toml_edit` so that the user's
//! formatting, ordering and comments survive: only the tokio entry changes.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// The features that switch on `tokio::sync`: `full` includes `sync`.
const SYNC_FEATURES: [&str; 2] = ["sync", "full"];

/// `manifest` with tokio's `sync` feature enabled in `[dependencies]`, or `None` when it already
/// is. `Err` when the manifest does not parse or its tokio entry has a shape we cannot extend.
pub fn ensure_tokio_sync(manifest: &str) -> Result<Option<String>, String> {
    let mut doc: DocumentMut = manifest
        .parse()
        .map_err(|e| format!("Cargo.toml does not parse: {e}"))?;
    let dependencies = dependencies_table(&mut doc)?;
    let changed = match dependencies.get_mut("tokio") {
        None => {
            dependencies.insert("tokio", Item::Value(new_tokio_entry("1")));
            true
        }
        Some(entry) => enable_sync(entry)?,
    };
    Ok(changed.then(|| doc.to_string()))
}

/// The `[dependencies]` table, created at the end of the file when the crate has none.
fn dependencies_table(doc: &mut DocumentMut) -> Result<&mut dyn TableLike, String> {
    doc.entry("dependencies")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| "`dependencies` in Cargo.toml is not a table".to_string())
}

/// `{ version = "<version>", features = ["sync"] }`.
fn new_tokio_entry(version: &str) -> Value {
    let mut table = InlineTable::new();
    table.insert("version", Value::from(version));
    table.insert("features", Value::Array(sync_array()));
    Value::InlineTable(table)
}

fn sync_array() -> Array {
    let mut features = Array::new();
    features.push("sync");
    features
}

/// Turn `sync` on in an existing tokio entry; whether anything changed.
fn enable_sync(entry: &mut Item) -> Result<bool, String> {
    // `tokio = "1"`: the version string becomes an inline table; the comment after it stays.
    if let Some(version) = entry.as_str() {
        let decor = entry
            .as_value()
            .map(|v| v.decor().clone())
            .unwrap_or_default();
        let mut table = new_tokio_entry(version);
        *table.decor_mut() = decor;
        *entry = Item::Value(table);
        return Ok(true);
    }
    let table = entry.as_table_like().ok_or_else(|| {
        "the tokio dependency in Cargo.toml is neither a string nor a table".to_string()
    })?;
    match table.get("features") {
        None => {
            insert_features(entry);
            Ok(true)
        }
        Some(_) => {
            let array = entry
                .get_mut("features")
                .and_then(Item::as_array_mut)
                .ok_or_else(|| "tokio's `features` in Cargo.toml is not an array".to_string())?;
            if array
                .iter()
                .any(|f| f.as_str().is_some_and(|f| SYNC_FEATURES.contains(&f)))
            {
                return Ok(false);
            }
            array.push("sync");
            Ok(true)
        }
    }
}

/// Add `features = ["sync"]` as the entry's last key. In an inline table the space before `}` is
/// the last value's suffix: it moves to the new value, so the result reads `a = 1, features = [..] }`
/// and not `a = 1 , features = [..] }`.
fn insert_features(entry: &mut Item) {
    if let Some(inline) = entry.as_inline_table_mut() {
        let closing = inline.iter_mut().last().map(|(_, value)| {
            let suffix = value.decor().suffix().cloned();
            value.decor_mut().set_suffix("");
            suffix
        });
        let mut features = Value::Array(sync_array());
        if let Some(Some(suffix)) = closing {
            features.decor_mut().set_suffix(suffix);
        }
        inline.insert("features", features);
    } else if let Some(table) = entry.as_table_like_mut() {
        table.insert("features", Item::Value(Value::Array(sync_array())));
    }
}

#[cfg(test)]
mod tests {
    use super::ensure_tokio_sync;

    fn ensured(manifest: &str) -> String {
        ensure_tokio_sync(manifest)
            .expect("parses")
            .expect("changes something")
    }

    #[test]
    fn sync_or_full_already_there_is_left_alone() {
        let sync = "[dependencies]\ntokio = { version = \"1\", features = [\"rt\", \"sync\"] }\n";
        assert_eq!(ensure_tokio_sync(sync), Ok(None));
        let full = "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";
        assert_eq!(ensure_tokio_sync(full), Ok(None));
        let table = "[dependencies.tokio]\nversion = \"1\"\nfeatures = [\"full\"]\n";
        assert_eq!(ensure_tokio_sync(table), Ok(None));
    }

    #[test]
    fn sync_is_appended_to_the_feature_array() {
        let before = "[package]\nname = \"app\"\n\n[dependencies]\n# runtime\ntokio = { version = \"1.40\", features = [\"macros\", \"rt\"] } # pinned\nserde = \"1\"\n";
        let after = "[package]\nname = \"app\"\n\n[dependencies]\n# runtime\ntokio = { version = \"1.40\", features = [\"macros\", \"rt\", \"sync\"] } # pinned\nserde = \"1\"\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn features_are_added_to_an_inline_table_without_them() {
        let before = "[dependencies]\ntokio = { version = \"1\", default-features = false }\n";
        let after = "[dependencies]\ntokio = { version = \"1\", default-features = false, features = [\"sync\"] }\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn version_string_becomes_a_table_with_sync() {
        let before = "[dependencies]\nanyhow = \"1\"\ntokio = \"1\" # async runtime\n";
        let after = "[dependencies]\nanyhow = \"1\"\ntokio = { version = \"1\", features = [\"sync\"] } # async runtime\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn workspace_dependency_gets_the_feature() {
        let before = "[dependencies]\ntokio = { workspace = true }\n";
        let after = "[dependencies]\ntokio = { workspace = true, features = [\"sync\"] }\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn dotted_table_form_gets_the_feature() {
        let before = "[dependencies.tokio]\nversion = \"1\"\n\n[dev-dependencies]\n";
        let after =
            "[dependencies.tokio]\nversion = \"1\"\nfeatures = [\"sync\"]\n\n[dev-dependencies]\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn missing_tokio_is_added() {
        let before = "[package]\nname = \"app\"\n\n[dependencies]\nserde = \"1\" # data\n\n[dev-dependencies]\ninsta = \"1\"\n";
        let after = "[package]\nname = \"app\"\n\n[dependencies]\nserde = \"1\" # data\ntokio = { version = \"1\", features = [\"sync\"] }\n\n[dev-dependencies]\ninsta = \"1\"\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn missing_dependencies_table_is_created() {
        let before = "[package]\nname = \"app\"\n";
        let after = "[package]\nname = \"app\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"sync\"] }\n";
        assert_eq!(ensured(before), after);
    }

    #[test]
    fn unparseable_manifest_is_an_error() {
        let error = ensure_tokio_sync("[dependencies\ntokio = 1").expect_err("does not parse");
        assert!(error.starts_with("Cargo.toml does not parse"), "{error}");
        assert!(ensure_tokio_sync("[dependencies]\ntokio = 1\n").is_err());
    }
}
