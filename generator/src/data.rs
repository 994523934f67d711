//! Data files: `content/data/*.toml`, given to every template as `data.<stem>`.

use std::collections::BTreeMap;

use crate::config::toml_error;
use crate::error::{BuildErrors, utf8};
use crate::source::SourceFile;

/// Every data file's table, by file stem.
pub type Data = BTreeMap<String, toml::Table>;

/// Parses every data file, reporting each malformed one.
pub fn parse(files: &[SourceFile]) -> Result<Data, BuildErrors> {
    let mut data = Data::new();
    let mut errors = BuildErrors::default();
    for file in files {
        let stem = file
            .rel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = utf8(&file.path, &file.bytes).and_then(|text| {
            toml::from_str::<toml::Table>(&text).map_err(|e| toml_error(&file.path, &text, &e))
        });
        match parsed {
            Ok(table) => {
                data.insert(stem, table);
            }
            Err(e) => errors.0.push(e),
        }
    }
    errors.into_result().map(|()| data)
}

/// The array of tables `items` in data file `file`, or why there is none.
pub fn items<'a>(data: &'a Data, file: &str, items: &str) -> Result<&'a [toml::Value], String> {
    let table = data
        .get(file)
        .ok_or_else(|| format!("no data file `content/data/{file}.toml`"))?;
    match table.get(items) {
        Some(toml::Value::Array(a)) => Ok(a),
        Some(_) => Err(format!(
            "`{items}` in content/data/{file}.toml is not an array"
        )),
        None => Err(format!("content/data/{file}.toml has no `{items}`")),
    }
}

/// Replaces each `{field}` in `pattern` with the item's field (a string or an integer).
pub fn fill(pattern: &str, item: &toml::Value) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{pattern}`"))?;
        let field = &rest[open + 1..open + close];
        match item.get(field) {
            Some(toml::Value::String(s)) => out.push_str(s),
            Some(toml::Value::Integer(i)) => out.push_str(&i.to_string()),
            Some(_) => return Err(format!("field `{field}` is not a string or integer")),
            None => return Err(format!("an item has no field `{field}`")),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn club() -> toml::Value {
        toml::Value::Table(toml::toml! { slug = "arsenal" position = 2 })
    }

    #[test]
    fn fill_replaces_fields() {
        assert_eq!(
            fill("/teams/{slug}-{position}", &club()).as_deref(),
            Ok("/teams/arsenal-2")
        );
    }

    #[test]
    fn fill_names_a_missing_field() {
        assert_eq!(
            fill("/teams/{slgu}", &club()),
            Err("an item has no field `slgu`".to_owned())
        );
    }

    #[test]
    fn malformed_data_names_file_and_line() {
        let file = SourceFile {
            path: "content/data/clubs.toml".into(),
            rel: "data/clubs.toml".into(),
            bytes: b"[[clubs]]\nname = \"A\"\nname = \"B\"\n".to_vec(),
        };
        let err = parse(&[file]).expect_err("duplicate key");
        assert!(
            err.to_string()
                .starts_with("error: content/data/clubs.toml:3:"),
            "{err}"
        );
    }
}
