//! Schema files: every table's file parses into the columns the writer fills, and a
//! malformed schema is refused with a message naming the column.

use prep::shards::Table;
use prep::shards::schema::{ColumnType, TableSchema};

fn names(table: Table) -> Vec<String> {
    table
        .schema()
        .expect("the schema file parses")
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn the_schema_files_name_the_table_columns_in_order() {
    assert_eq!(
        names(Table::Clips),
        [
            "id",
            "piece_id",
            "source",
            "split",
            "index",
            "start_s",
            "end_s",
            "audio",
            "abc",
            "tempo_bpm",
            "metre",
            "key",
            "instruments",
            "note_count"
        ]
    );
    assert_eq!(
        names(Table::Qa),
        ["id", "clip_id", "split", "kind", "question", "answer"]
    );
    assert_eq!(
        names(Table::Embeddings),
        [
            "clip_id",
            "split",
            "model",
            "layer",
            "frame_rate_hz",
            "dim",
            "dtype",
            "provenance",
            "valid_frames",
            "frames"
        ]
    );
    let embeddings = Table::Embeddings.schema().expect("parses");
    let frames = embeddings.columns.last().expect("frames");
    assert_eq!(
        frames.column_type,
        ColumnType::Float16Array2 {
            inner_dim_column: "dim".to_string()
        }
    );
    let audio = &Table::Clips.schema().expect("parses").columns[7];
    assert_eq!((audio.column_type.clone(), audio.nullable), (ColumnType::Audio, true));
}

fn error_of(fields: &str) -> String {
    let text = format!(r#"{{"table": "t", "description": "d", "fields": [{fields}]}}"#);
    TableSchema::from_json(&text).expect_err("a bad schema").to_string()
}

#[test]
fn malformed_schemas_are_refused_naming_the_column() {
    let field = |name: &str, ty: &str| {
        format!(r#"{{"name": "{name}", "type": "{ty}", "nullable": false, "description": "d"}}"#)
    };
    assert_eq!(
        error_of(&field("x", "float32")),
        "column `x`: unknown type `float32` (expected string, float64, int32, list<string>, audio, array2d<float16>)"
    );
    assert_eq!(
        error_of(&field("frames", "array2d<float16>")),
        "column `frames`: array2d<float16> needs `inner_dim_column` naming an int32 column"
    );
    let frames = r#"{"name": "frames", "type": "array2d<float16>", "nullable": false, "description": "",
        "inner_dim_column": "dim"}"#;
    assert_eq!(
        error_of(&format!("{}, {frames}", field("dim", "string"))),
        "column `frames`: `inner_dim_column` `dim` is not an int32 column of the table"
    );
    assert_eq!(
        error_of(&format!("{}, {}", field("a", "int32"), field("a", "string"))),
        "column `a` appears twice"
    );
    assert!(
        error_of(r#"{"name": "a", "type": "int32", "nullable": false}"#)
            .starts_with("not a schema: missing field `description`")
    );
}
