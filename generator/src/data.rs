//! Data files: `content/data/*.toml`, given to every template as `data.<stem>`, and the items
//! `[[generate]]` makes one output of each.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::error::{BuildError, BuildErrors, Location, utf8};
use crate::source::SourceFile;

/// Every data file's table by file stem, with the file it came from (to place errors).
#[derive(Debug, Default)]
pub struct Data<'a> {
    /// The tables templates see as `data`.
    pub tables: BTreeMap<String, toml::Table>,
    files: BTreeMap<String, (&'a SourceFile, String)>,
}

/// Why `[[generate]]` cannot take items from a data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemsError {
    /// No file of that stem.
    #[error("no data file `content/data/{0}.toml`")]
    NoFile(String),
    /// The file has no such key.
    #[error("content/data/{file}.toml has no `{key}`")]
    NoKey {
        /// The file's stem.
        file: String,
        /// The missing key.
        key: String,
    },
    /// The key is not an array of tables.
    #[error("`{key}` in content/data/{file}.toml is not an array of tables")]
    NotArray {
        /// The file's stem.
        file: String,
        /// The key.
        key: String,
    },
}

/// Why a `{field}` pattern cannot be filled from an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    /// A `{` without its `}`.
    #[error("unclosed `{{` in `{0}`")]
    Unclosed(String),
    /// The item lacks the field.
    #[error("no field `{0}`")]
    NoField(String),
    /// The field is a table, array, float...
    #[error("field `{0}` is not a string or an integer")]
    NotScalar(String),
}

impl<'a> Data<'a> {
    /// Parses every data file, reporting each malformed one (with column and snippet).
    pub fn parse(files: &'a [SourceFile]) -> Result<Data<'a>, BuildErrors> {
        let mut data = Data::default();
        let mut errors = BuildErrors::default();
        for file in files {
            let stem = file
                .rel
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parsed = utf8(&file.path, &file.bytes).and_then(|text| {
                toml::from_str::<toml::Table>(&text)
                    .map(|table| (table, text.clone()))
                    .map_err(|e| BuildError::toml(&file.path, &text, 0, &e))
            });
            if let Some((table, text)) = errors.keep(parsed) {
                data.tables.insert(stem.clone(), table);
                data.files.insert(stem, (file, text));
            }
        }
        errors.into_result().map(|()| data)
    }

    /// The stems of the data files, for suggestions.
    pub fn stems(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// The array of tables `key` in data file `file`.
    pub fn items(&self, file: &str, key: &str) -> Result<&[toml::Value], ItemsError> {
        let table = self
            .tables
            .get(file)
            .ok_or_else(|| ItemsError::NoFile(file.to_owned()))?;
        match table.get(key) {
            Some(toml::Value::Array(a)) if a.iter().all(toml::Value::is_table) => Ok(a),
            Some(_) => Err(ItemsError::NotArray {
                file: file.to_owned(),
                key: key.to_owned(),
            }),
            None => Err(ItemsError::NoKey {
                file: file.to_owned(),
                key: key.to_owned(),
            }),
        }
    }

    /// Where item `index` of `key` in data file `file` is, at its `field` when given: the
    /// place to edit when an item's value is wrong.
    pub fn locate(&self, file: &str, key: &str, index: usize, field: Option<&str>) -> Location {
        let Some((source, text)) = self.files.get(file) else {
            return Location::file(format!("content/data/{file}.toml"));
        };
        match item_span(text, key, index, field) {
            Some(span) => Location::span(&source.path, text, span),
            None => Location::file(&source.path),
        }
    }

    /// Where every item of `key` in data file `file` is, in order, from one parse of the file:
    /// what each generated output points at. (`locate` parses the file per call, fine for the
    /// one item an error is about but quadratic when called for every item of a large file.)
    pub fn item_locations(&self, file: &str, key: &str) -> Vec<Location> {
        let Some((source, text)) = self.files.get(file) else {
            return Vec::new();
        };
        let Ok(doc) = DeTable::parse(text) else {
            return Vec::new();
        };
        match doc.get_ref().get(key).map(|v| v.get_ref()) {
            Some(DeValue::Array(items)) => items
                .iter()
                .map(|item| Location::span(&source.path, text, item.span()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The byte range of an item (or of one field's value in it) in a data file's text.
fn item_span(text: &str, key: &str, index: usize, field: Option<&str>) -> Option<Range<usize>> {
    let doc = DeTable::parse(text).ok()?;
    let DeValue::Array(items) = doc.get_ref().get(key)?.get_ref() else {
        return None;
    };
    let item = items.get(index)?;
    let DeValue::Table(table) = item.get_ref() else {
        return Some(item.span());
    };
    match field.and_then(|f| table.get(f)) {
        Some(value) => Some(value.span()),
        // An array-of-tables item spans its header line.
        None => Some(item.span()),
    }
}

/// Replaces each `{field}` in `pattern` with the item's field (a string or an integer).
pub fn fill(pattern: &str, item: &toml::Value) -> Result<String, FillError> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| FillError::Unclosed(pattern.to_owned()))?;
        let field = &rest[open + 1..open + close];
        match item.get(field) {
            Some(toml::Value::String(s)) => out.push_str(s),
            Some(toml::Value::Integer(i)) => out.push_str(&i.to_string()),
            Some(_) => return Err(FillError::NotScalar(field.to_owned())),
            None => return Err(FillError::NoField(field.to_owned())),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The `{field}` names of a pattern, in order.
pub fn fields(pattern: &str) -> Vec<&str> {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(field, _)| field))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn club() -> toml::Value {
        toml::Value::Table(toml::toml! { slug = "arsenal" position = 2 })
    }

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "content/data/clubs.toml".into(),
            rel: "data/clubs.toml".into(),
            bytes: text.as_bytes().to_vec(),
        }
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
            Err(FillError::NoField("slgu".to_owned()))
        );
    }

    #[test]
    fn fields_lists_the_placeholders() {
        assert_eq!(fields("/t/{slug}/{n}"), ["slug", "n"]);
    }

    #[test]
    fn malformed_data_names_file_line_and_column() {
        let files = [file("[[clubs]]\nname = \"A\"\nname = \"B\"\n")];
        let err = Data::parse(&files).expect_err("duplicate key");
        assert!(
            err.to_string()
                .starts_with("error: content/data/clubs.toml:3:1:"),
            "{err}"
        );
    }

    #[test]
    fn an_items_field_is_located_in_its_file() -> Result<(), BuildErrors> {
        let files = [file(
            "[[clubs]]\nslug = \"a\"\n\n[[clubs]]\nname = \"B\"\nslug = \"b c\"\n",
        )];
        let data = Data::parse(&files)?;
        assert_eq!(
            data.locate("clubs", "clubs", 1, Some("slug")).to_string(),
            "content/data/clubs.toml:6:8"
        );
        Ok(())
    }

    #[test]
    fn items_must_be_an_array_of_tables() -> Result<(), BuildErrors> {
        let files = [file("clubs = [1, 2]\n")];
        let data = Data::parse(&files)?;
        assert!(matches!(
            data.items("clubs", "clubs"),
            Err(ItemsError::NotArray { .. })
        ));
        Ok(())
    }
}
