//! Hugging Face `datasets` features for a table, in the two spellings `datasets` reads:
//! the `huggingface` Parquet schema-metadata key (`{"info": {"features": {...}}}`, the
//! `Features.to_dict()` form) and the dataset card's `dataset_info.features` list (the
//! `Features._to_yaml_list()` form). With them `datasets` decodes Audio and Array2D
//! columns instead of guessing plain structs and nested lists. [`arrow_schema()`] puts them,
//! and the columns' descriptions, on a table's Arrow schema.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_schema::{Field, Schema, SchemaRef};
use serde_json::{Value, json};
use thiserror::Error;

use super::schema::{ColumnSchema, ColumnType, DESCRIPTION_KEY, TableSchema, arrow_type};
use super::yaml::Yaml;

/// The Parquet schema-metadata key `datasets` reads features from.
pub const HUGGINGFACE_KEY: &str = "huggingface";

/// Inner dimensions of a table's Array2D columns (column name -> dim), known from the rows.
pub type ArrayDims = BTreeMap<String, usize>;

#[derive(Debug, Error)]
#[error("column `{column}` is an Array2D but its inner dimension is not known (no row has set it)")]
pub struct UnknownDim {
    pub column: String,
}

/// The Arrow schema of a table's files: column descriptions as field metadata, the
/// `huggingface` features as schema metadata, and Array2D columns marked with the
/// `datasets` extension type (see [`array2d_extension`]), whose inner dimension `dims`
/// gives.
pub fn arrow_schema(schema: &TableSchema, dims: &ArrayDims) -> Result<SchemaRef, UnknownDim> {
    let fields = schema.columns.iter().map(|c| arrow_field(c, dims)).collect::<Result<Vec<Field>, _>>()?;
    let metadata = HashMap::from([(HUGGINGFACE_KEY.to_string(), huggingface_metadata(schema, dims)?)]);
    Ok(Arc::new(Schema::new_with_metadata(fields, metadata)))
}

fn arrow_field(column: &ColumnSchema, dims: &ArrayDims) -> Result<Field, UnknownDim> {
    let mut metadata = HashMap::from([(DESCRIPTION_KEY.to_string(), column.description.clone())]);
    if let ColumnType::Float16Array2 { .. } = column.column_type {
        metadata.extend(array2d_extension(&column.name, dims)?);
    }
    Ok(Field::new(&column.name, arrow_type(&column.column_type), column.nullable).with_metadata(metadata))
}

/// `Features.to_dict()`: (column name, feature) in column order. A list of pairs, not a
/// JSON map, because `datasets` orders the loaded columns as the features are ordered.
fn features_dict(schema: &TableSchema, dims: &ArrayDims) -> Result<Vec<(String, Value)>, UnknownDim> {
    let mut features = Vec::with_capacity(schema.columns.len());
    for column in &schema.columns {
        let feature = match &column.column_type {
            ColumnType::String => value("string"),
            ColumnType::Float64 => value("float64"),
            ColumnType::Int32 => value("int32"),
            ColumnType::StringList => json!({"feature": value("string"), "_type": "Sequence"}),
            ColumnType::Audio => json!({"_type": "Audio"}),
            ColumnType::Float16Array2 { .. } => {
                json!({"shape": [null, dim(dims, &column.name)?], "dtype": "float16", "_type": "Array2D"})
            }
        };
        features.push((column.name.clone(), feature));
    }
    Ok(features)
}

/// The `huggingface` metadata value: `{"info": {"features": ...}}` as JSON text.
pub fn huggingface_metadata(schema: &TableSchema, dims: &ArrayDims) -> Result<String, UnknownDim> {
    let entries: Vec<String> = features_dict(schema, dims)?
        .iter()
        .map(|(name, feature)| format!("{}: {feature}", Value::from(name.as_str())))
        .collect();
    Ok(format!("{{\"info\": {{\"features\": {{{}}}}}}}", entries.join(", ")))
}

/// `Features._to_yaml_list()`: the card's `dataset_info.features` entries.
pub fn card_features(schema: &TableSchema, dims: &ArrayDims) -> Result<Vec<Yaml>, UnknownDim> {
    schema
        .columns
        .iter()
        .map(|column| {
            let name = ("name", Yaml::str(&column.name));
            Ok(match &column.column_type {
                ColumnType::String => Yaml::map([name, ("dtype", Yaml::str("string"))]),
                ColumnType::Float64 => Yaml::map([name, ("dtype", Yaml::str("float64"))]),
                ColumnType::Int32 => Yaml::map([name, ("dtype", Yaml::str("int32"))]),
                ColumnType::StringList => Yaml::map([name, ("sequence", Yaml::str("string"))]),
                ColumnType::Audio => Yaml::map([name, ("dtype", Yaml::str("audio"))]),
                ColumnType::Float16Array2 { .. } => {
                    let shape = Yaml::List(vec![Yaml::Null, Yaml::Int(dim(dims, &column.name)? as i64)]);
                    let array = Yaml::map([("shape", shape), ("dtype", Yaml::str("float16"))]);
                    Yaml::map([name, ("dtype", Yaml::map([("array2_d", array)]))])
                }
            })
        })
        .collect()
}

/// Field metadata marking an Array2D column as `datasets`' Array2D extension type, which
/// pyarrow rebuilds when reading the file, so `datasets` decodes [frames x dim] arrays
/// from the Parquet files alone. (`datasets` takes a feature from the `huggingface` key
/// only when its Arrow type equals the file's, and Array2D's type is this extension.)
pub fn array2d_extension(column: &str, dims: &ArrayDims) -> Result<[(String, String); 2], UnknownDim> {
    let serialized = json!([[null, dim(dims, column)?], "float16"]).to_string();
    Ok([
        (
            "ARROW:extension:name".to_string(),
            "datasets.features.features.Array2DExtensionType".to_string(),
        ),
        ("ARROW:extension:metadata".to_string(), serialized),
    ])
}

fn value(dtype: &str) -> Value {
    json!({"dtype": dtype, "_type": "Value"})
}

fn dim(dims: &ArrayDims, column: &str) -> Result<usize, UnknownDim> {
    dims.get(column).copied().ok_or_else(|| UnknownDim {
        column: column.to_string(),
    })
}
