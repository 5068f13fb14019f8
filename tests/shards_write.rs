//! The shard writer: naming and count, row-group size cap, zstd, page index, atomic
//! names, stale-shard removal, and written schemas equal to `schemas/*.json`.

mod shards_support;

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::ParquetMetaData;
use prep::clips::Clip;
use prep::datasets::Split;
use prep::qa::{QaKind, QaPair};
use prep::shards::features::{ArrayDims, HUGGINGFACE_KEY, huggingface_metadata};
use prep::shards::{ClipRow, EmbeddingRow, Row, ShardOptions, ShardWriter, Table};
use shards_support::{clip, embedding, qa};

fn pairs(split: Split, count: u32) -> Vec<QaPair> {
    (0..count)
        .map(|i| {
            qa(
                &clip("demo", "p", i, split, None),
                QaKind::Tempo,
                "What is the tempo?",
                "96 BPM",
            )
        })
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn metadata(path: &Path) -> ParquetMetaData {
    let file = File::open(path).expect("opening a shard");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .metadata()
        .as_ref()
        .clone()
}

fn write_all<R: Row>(dir: &Path, options: ShardOptions, rows: Vec<R>) -> prep::shards::TableFiles {
    let mut writer = ShardWriter::<R>::new(dir, options).expect("a writer");
    for row in rows {
        writer.push(row).expect("pushing a row");
    }
    writer.finish().expect("finishing")
}

#[test]
fn tiny_target_makes_one_shard_per_row_group_named_with_the_final_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = pairs(Split::Train, 5);
    let row_bytes = rows[0].size_estimate();
    assert!(rows.iter().all(|r| r.size_estimate() == row_bytes));
    // Two rows per row group, and every row group closes its shard.
    let options = ShardOptions {
        target_shard_bytes: 1,
        row_group_bytes: 2 * row_bytes,
        zstd_level: 3,
    };
    let mut rows = rows;
    rows.extend(pairs(Split::Test, 1));
    let files = write_all(dir.path(), options, rows);

    let qa_dir = dir.path().join("data/qa");
    assert_eq!(
        file_names(&qa_dir),
        vec![
            "test-00000-of-00001.parquet",
            "train-00000-of-00003.parquet",
            "train-00001-of-00003.parquet",
            "train-00002-of-00003.parquet",
        ]
    );
    let train = &files.splits[&Split::Train];
    assert_eq!(train.rows, 5);
    let rows_per_file: Vec<i64> = train
        .files
        .iter()
        .map(|f| metadata(f).file_metadata().num_rows())
        .collect();
    assert_eq!(rows_per_file, vec![2, 2, 1]);
    assert_eq!(files.splits[&Split::Test].rows, 1);
}

#[test]
fn a_large_target_keeps_one_shard_per_split() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ShardOptions {
        row_group_bytes: 200,
        ..ShardOptions::default()
    };
    let files = write_all(dir.path(), options, pairs(Split::Validation, 20));
    let validation = &files.splits[&Split::Validation];
    assert_eq!(
        validation.files,
        vec![dir.path().join("data/qa/validation-00000-of-00001.parquet")]
    );
    let meta = metadata(&validation.files[0]);
    assert!(meta.num_row_groups() > 1, "{} row groups", meta.num_row_groups());
    assert_eq!(meta.file_metadata().num_rows(), 20);
}

/// Clips with 8000 samples of 16-bit audio each (16 kB), under a 64 kB row-group cap.
#[test]
fn row_groups_stay_under_the_cap_with_zstd_and_a_page_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cap = 64_000;
    let rows: Vec<ClipRow> = (0..20)
        .map(|i| {
            let wav: Vec<u8> = (0..16_044u32)
                .map(|b| (b.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            ClipRow {
                clip: clip("demo", "p", i, Split::Train, None),
                wav: Some(wav),
            }
        })
        .collect();
    let options = ShardOptions {
        row_group_bytes: cap,
        ..ShardOptions::default()
    };
    let files = write_all(dir.path(), options, rows);
    let meta = metadata(&files.splits[&Split::Train].files[0]);

    let sizes: Vec<i64> = meta.row_groups().iter().map(|g| g.total_byte_size()).collect();
    let rows: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(
        rows,
        vec![3; 6].into_iter().chain([2]).collect::<Vec<_>>(),
        "sizes {sizes:?}"
    );
    assert!(sizes.iter().all(|&s| s < cap as i64), "{sizes:?}");
    for group in meta.row_groups() {
        for column in group.columns() {
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{:?}",
                column.column_path()
            );
            assert!(
                column.column_index_offset().is_some(),
                "no column index for {:?}",
                column.column_path()
            );
            assert!(
                column.offset_index_offset().is_some(),
                "no offset index for {:?}",
                column.column_path()
            );
        }
    }
}

#[test]
fn shards_keep_temporary_names_until_finish() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = pairs(Split::Train, 6);
    let options = ShardOptions {
        target_shard_bytes: 1,
        row_group_bytes: 2 * rows[0].size_estimate(),
        zstd_level: 3,
    };
    let mut writer = ShardWriter::<QaPair>::new(dir.path(), options).expect("a writer");
    for row in rows {
        writer.push(row).expect("pushing");
    }
    let qa_dir = dir.path().join("data/qa");
    assert_eq!(
        file_names(&qa_dir),
        vec!["train-00000.parquet.partial", "train-00001.parquet.partial"]
    );
    writer.finish().expect("finishing");
    assert_eq!(
        file_names(&qa_dir),
        vec![
            "train-00000-of-00003.parquet",
            "train-00001-of-00003.parquet",
            "train-00002-of-00003.parquet"
        ]
    );
}

#[test]
fn a_rerun_removes_shards_and_partials_it_did_not_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = pairs(Split::Train, 4);
    let small = ShardOptions {
        target_shard_bytes: 1,
        row_group_bytes: rows[0].size_estimate(),
        zstd_level: 3,
    };
    write_all(dir.path(), small, rows.clone());
    let qa_dir = dir.path().join("data/qa");
    assert_eq!(file_names(&qa_dir).len(), 4);
    std::fs::write(qa_dir.join("test-00000.parquet.partial"), b"interrupted").expect("writing");

    write_all(dir.path(), ShardOptions::default(), rows);
    assert_eq!(file_names(&qa_dir), vec!["train-00000-of-00001.parquet"]);
}

/// The schema read back from a shard, with its metadata, is the one built from the file.
fn assert_schema_matches_its_file(path: &PathBuf, table: Table, dims: &ArrayDims) {
    let schema = table.schema().expect("the schema file parses");
    let expected = prep::shards::features::arrow_schema(&schema, dims).expect("the Arrow schema");
    assert_eq!(
        expected.metadata()[HUGGINGFACE_KEY],
        huggingface_metadata(&schema, dims).expect("features")
    );
    let file = File::open(path).expect("opening");
    let written = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("Parquet")
        .schema()
        .clone();
    assert_eq!(written, expected, "{}", path.display());
    for (field, column) in written.fields().iter().zip(&schema.columns) {
        assert_eq!(field.name(), &column.name);
        assert_eq!(field.is_nullable(), column.nullable);
        assert_eq!(field.metadata()["description"], column.description);
    }
}

#[test]
fn written_schemas_equal_the_schema_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clips: Vec<Clip> = (0..3)
        .map(|i| clip("urmp", "01_Jupiter_vn_vc", i, Split::Train, None))
        .collect();
    let clip_rows: Vec<ClipRow> = clips
        .iter()
        .enumerate()
        .map(|(i, c)| ClipRow {
            clip: c.clone(),
            wav: (i != 1).then(|| vec![1, 2, 3]),
        })
        .collect();
    let embeddings: Vec<EmbeddingRow> = clips.iter().map(|c| embedding(c, 3, 4)).collect();

    let written = write_all(dir.path(), ShardOptions::default(), clip_rows);
    assert_schema_matches_its_file(&written.splits[&Split::Train].files[0], Table::Clips, &ArrayDims::new());
    let written = write_all(dir.path(), ShardOptions::default(), pairs(Split::Train, 2));
    assert_schema_matches_its_file(&written.splits[&Split::Train].files[0], Table::Qa, &ArrayDims::new());
    let written = write_all(dir.path(), ShardOptions::default(), embeddings);
    let dims = ArrayDims::from([("frames".to_string(), 4)]);
    assert_eq!(written.dims, dims);
    assert_schema_matches_its_file(&written.splits[&Split::Train].files[0], Table::Embeddings, &dims);
}

#[test]
fn the_huggingface_key_spells_the_features_in_column_order() {
    let qa = Table::Qa.schema().expect("schema");
    let v = r#"{"_type":"Value","dtype":"string"}"#;
    assert_eq!(
        huggingface_metadata(&qa, &ArrayDims::new()).expect("features"),
        format!(
            concat!(
                r#"{{"info": {{"features": {{"id": {v}, "clip_id": {v}, "split": {v}, "kind": {v}, "#,
                r#""question": {v}, "answer": {v}}}}}}}"#
            ),
            v = v
        )
    );
    let embeddings = Table::Embeddings.schema().expect("schema");
    let text = huggingface_metadata(&embeddings, &ArrayDims::from([("frames".to_string(), 768)])).expect("features");
    assert!(
        text.ends_with(r#""frames": {"_type":"Array2D","dtype":"float16","shape":[null,768]}}}}"#),
        "{text}"
    );
    let clips = Table::Clips.schema().expect("schema");
    let text = huggingface_metadata(&clips, &ArrayDims::new()).expect("features");
    assert!(text.contains(r#""audio": {"_type":"Audio"}"#), "{text}");
    assert!(text.contains(r#""instruments": {"_type":"Sequence","feature":{"_type":"Value","dtype":"string"}}"#));
}

#[test]
fn embeddings_of_two_dims_in_one_config_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = clip("demo", "p", 0, Split::Train, None);
    let mut writer = ShardWriter::<EmbeddingRow>::new(dir.path(), ShardOptions::default()).expect("writer");
    writer.push(embedding(&c, 2, 4)).expect("push");
    writer.push(embedding(&c, 2, 8)).expect("push");
    let error = format!("{:#}", writer.finish().expect_err("two dims"));
    assert!(
        error.contains("column `dim` must hold one positive value per table, found [4, 8]"),
        "{error}"
    );
}

#[test]
fn frames_that_are_not_whole_rows_of_dim_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = clip("demo", "p", 0, Split::Train, None);
    let mut row = embedding(&c, 2, 4);
    row.frames.pop();
    let mut writer = ShardWriter::<EmbeddingRow>::new(dir.path(), ShardOptions::default()).expect("writer");
    writer.push(row).expect("push");
    let error = format!("{:#}", writer.finish().expect_err("ragged frames"));
    assert_eq!(error, "demo/p/0000: 7 values are not whole frames of dim 4");
}
