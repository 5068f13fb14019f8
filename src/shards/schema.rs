//! Table schemas as data: `schemas/<table>.json` is the one description of a table's
//! columns, and the Arrow schema, the Hugging Face features and the card are all derived
//! from it, so the files on disk cannot drift from the documentation.
//!
//! This module parses and validates the JSON and builds the Arrow schema; it knows nothing
//! of rows or files.

use std::collections::{BTreeMap, HashMap};

use arrow_schema::{DataType, Field, Fields};
use serde::Deserialize;
use thiserror::Error;


/// The tables of a prepared dataset; each is one Hugging Face config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Clips,
    Qa,
    Embeddings,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Clips, Table::Qa, Table::Embeddings];

    /// The config name, also the folder under `data/` and the schema file's stem.
    pub fn config_name(self) -> &'static str {
        match self {
            Table::Clips => "clips",
            Table::Qa => "qa",
            Table::Embeddings => "embeddings",
        }
    }

    fn schema_json(self) -> &'static str {
        match self {
            Table::Clips => include_str!("../../schemas/clips.json"),
            Table::Qa => include_str!("../../schemas/qa.json"),
            Table::Embeddings => include_str!("../../schemas/embeddings.json"),
        }
    }

    /// The table's schema, parsed from its embedded `schemas/<table>.json`.
    pub fn schema(self) -> Result<TableSchema, SchemaError> {
        TableSchema::from_json(self.schema_json()).map_err(|e| SchemaError::InSchemaFile {
            file: format!("schemas/{}.json", self.config_name()),
            source: Box::new(e),
        })
    }
}

/// A column type as written in a schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// `string`
    String,
    /// `float64`
    Float64,
    /// `int32`
    Int32,
    /// `list<string>`
    StringList,
    /// `audio`: the Hugging Face Audio storage, struct {bytes: binary, path: string}.
    Audio,
    /// `array2d<float16>`: `list<list<float16>>`, rows of `inner_dim_column` values each;
    /// `datasets` decodes it as Array2D(shape=(None, dim)) (only its first dimension may vary).
    Float16Array2 { inner_dim_column: String },
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    pub name: String,
    pub column_type: ColumnType,
    pub nullable: bool,
    pub description: String,
}

/// A table's columns, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub table: String,
    pub description: String,
    pub columns: Vec<ColumnSchema>,
}

#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("{file}: {source}")]
    InSchemaFile { file: String, source: Box<SchemaError> },
    #[error("not a schema: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "column `{column}`: unknown type `{type_name}` \
         (expected string, float64, int32, list<string>, audio, array2d<float16>)"
    )]
    UnknownType { column: String, type_name: String },
    #[error("column `{column}`: array2d<float16> needs `inner_dim_column` naming an int32 column")]
    MissingInnerDim { column: String },
    #[error("column `{column}`: `inner_dim_column` `{dim_column}` is not an int32 column of the table")]
    BadInnerDim { column: String, dim_column: String },
    #[error("column `{0}` appears twice")]
    DuplicateColumn(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    table: String,
    description: String,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    type_name: String,
    nullable: bool,
    description: String,
    inner_dim_column: Option<String>,
}

/// Arrow field metadata key holding a column's description.
pub const DESCRIPTION_KEY: &str = "description";

impl TableSchema {
    /// Parses and validates a schema file's text.
    pub fn from_json(text: &str) -> Result<TableSchema, SchemaError> {
        let raw: RawTable = serde_json::from_str(text)?;
        let columns = raw
            .fields
            .into_iter()
            .map(column_schema)
            .collect::<Result<Vec<_>, _>>()?;
        let schema = TableSchema {
            table: raw.table,
            description: raw.description,
            columns,
        };
        schema.validate()?;
        Ok(schema)
    }

    fn validate(&self) -> Result<(), SchemaError> {
        let mut types: HashMap<&str, &ColumnType> = HashMap::new();
        for column in &self.columns {
            if types.insert(&column.name, &column.column_type).is_some() {
                return Err(SchemaError::DuplicateColumn(column.name.clone()));
            }
        }
        for column in &self.columns {
            if let ColumnType::Float16Array2 { inner_dim_column } = &column.column_type
                && types.get(inner_dim_column.as_str()) != Some(&&ColumnType::Int32)
            {
                return Err(SchemaError::BadInnerDim {
                    column: column.name.clone(),
                    dim_column: inner_dim_column.clone(),
                });
            }
        }
        Ok(())
    }

    /// The columns whose per-row value fixes an Array2D column's inner dimension:
    /// array column name -> dimension column name.
    pub fn array_dim_columns(&self) -> BTreeMap<&str, &str> {
        self.columns
            .iter()
            .filter_map(|c| match &c.column_type {
                ColumnType::Float16Array2 { inner_dim_column } => Some((c.name.as_str(), inner_dim_column.as_str())),
                _ => None,
            })
            .collect()
    }
}

fn column_schema(raw: RawField) -> Result<ColumnSchema, SchemaError> {
    let column_type = match raw.type_name.as_str() {
        "string" => ColumnType::String,
        "float64" => ColumnType::Float64,
        "int32" => ColumnType::Int32,
        "list<string>" => ColumnType::StringList,
        "audio" => ColumnType::Audio,
        "array2d<float16>" => {
            let inner_dim_column = raw
                .inner_dim_column
                .clone()
                .ok_or_else(|| SchemaError::MissingInnerDim {
                    column: raw.name.clone(),
                })?;
            ColumnType::Float16Array2 { inner_dim_column }
        }
        other => {
            return Err(SchemaError::UnknownType {
                column: raw.name,
                type_name: other.to_string(),
            });
        }
    };
    Ok(ColumnSchema {
        name: raw.name,
        column_type,
        nullable: raw.nullable,
        description: raw.description,
    })
}

/// The Arrow type a column type is stored as. List items are nullable and named `item`,
/// as pyarrow and `datasets` make them, so both sides agree on the exact type.
pub fn arrow_type(column_type: &ColumnType) -> DataType {
    match column_type {
        ColumnType::String => DataType::Utf8,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Int32 => DataType::Int32,
        ColumnType::StringList => DataType::new_list(DataType::Utf8, true),
        ColumnType::Audio => DataType::Struct(audio_fields()),
        ColumnType::Float16Array2 { .. } => DataType::new_list(DataType::new_list(DataType::Float16, true), true),
    }
}

/// The children of the Audio struct, in the order `datasets` writes them.
pub fn audio_fields() -> Fields {
    Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ])
}
