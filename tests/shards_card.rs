//! The dataset card: front matter (configs, data files, features, license), the summary
//! (rows per split, hours, instruments) and citations of the sources present.

mod shards_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use prep::audio::{MonoAudio, encode_pcm16};
use prep::datasets::Split;
use prep::shards::card::{CardExtras, ClipStats, render};
use prep::shards::features::ArrayDims;
use prep::shards::yaml::Yaml;
use prep::shards::{SplitFiles, Table, TableFiles};
use shards_support::clip;

fn table(table: Table, dims: ArrayDims, rows: &[(Split, u64)]) -> TableFiles {
    let splits: BTreeMap<Split, SplitFiles> = rows
        .iter()
        .map(|&(split, rows)| {
            (
                split,
                SplitFiles {
                    rows,
                    files: vec![PathBuf::from(format!("{split}.parquet"))],
                    num_bytes: rows * 100,
                    download_bytes: rows * 40,
                },
            )
        })
        .collect();
    TableFiles {
        config: table.config_name().to_string(),
        schema: table.schema().expect("schema"),
        dims,
        splits,
    }
}

#[test]
fn yaml_blocks_nest_maps_in_lists_and_quote_every_string() {
    let value = Yaml::map([
        ("license", Yaml::str("other")),
        ("empty", Yaml::List(vec![])),
        (
            "items",
            Yaml::List(vec![
                Yaml::map([("name", Yaml::str("a: b")), ("n", Yaml::Int(3))]),
                Yaml::Null,
            ]),
        ),
        ("shape", Yaml::List(vec![Yaml::Null, Yaml::Float(0.5)])),
    ]);
    assert_eq!(
        value.to_block(),
        "license: \"other\"\nempty: []\nitems:\n  - name: \"a: b\"\n    n: 3\n  - null\nshape:\n  - null\n  - 0.5\n"
    );
}

#[test]
fn the_card_front_matter_lists_configs_files_features_and_splits() {
    let tables = [
        table(Table::Qa, ArrayDims::new(), &[(Split::Train, 12), (Split::Test, 3)]),
        table(
            Table::Embeddings,
            ArrayDims::from([("frames".to_string(), 128)]),
            &[(Split::Train, 4)],
        ),
        table(Table::Clips, ArrayDims::new(), &[]),
    ];
    let mut stats = ClipStats::default();
    stats.sources.insert("demo".to_string());
    let extras = CardExtras { chat: BTreeMap::from([(Split::Train, 60), (Split::Test, 15)]), recipe: None };
    let card = render("Demo", &tables, &stats, &extras).expect("card");
    let front = card.split("---\n").nth(1).expect("front matter");
    let string = |name: &str| format!("      - name: \"{name}\"\n        dtype: \"string\"\n");
    let expected = [
        "pretty_name: \"Demo\"\n",
        "license: \"cc0-1.0\"\n",
        "task_categories:\n  - \"audio-text-to-text\"\n  - \"audio-classification\"\n",
        "tags:\n  - \"music\"\n  - \"abc-notation\"\n  - \"music-transcription\"\n",
        // The largest table has 75 rows (the chat export).
        "size_categories:\n  - \"n<1K\"\n",
        "configs:\n",
        "  - config_name: \"qa\"\n    data_files:\n",
        "      - split: \"train\"\n        path: \"data/qa/train-*.parquet\"\n",
        "      - split: \"test\"\n        path: \"data/qa/test-*.parquet\"\n",
        "  - config_name: \"embeddings\"\n    data_files:\n",
        "      - split: \"train\"\n        path: \"data/embeddings/train-*.parquet\"\n",
        "dataset_info:\n",
        "  - config_name: \"qa\"\n    features:\n",
        &string("id"),
        &string("clip_id"),
        &string("split"),
        &string("kind"),
        &string("question"),
        &string("answer"),
        "    splits:\n      - name: \"train\"\n        num_bytes: 1200\n        num_examples: 12\n",
        "      - name: \"test\"\n        num_bytes: 300\n        num_examples: 3\n",
        "    download_size: 600\n    dataset_size: 1500\n",
        "  - config_name: \"embeddings\"\n    features:\n",
        &string("clip_id"),
        &string("split"),
        &string("model"),
        "      - name: \"layer\"\n        dtype: \"int32\"\n",
        "      - name: \"frame_rate_hz\"\n        dtype: \"float64\"\n",
        "      - name: \"dim\"\n        dtype: \"int32\"\n",
        &string("dtype"),
        &string("provenance"),
        "      - name: \"frames\"\n        dtype:\n          array2_d:\n            shape:\n              - null\n",
        "              - 128\n            dtype: \"float16\"\n",
        "    splits:\n      - name: \"train\"\n        num_bytes: 400\n        num_examples: 4\n",
        "    download_size: 160\n    dataset_size: 400\n",
    ]
    .concat();
    assert_eq!(front, expected);
}

#[test]
fn the_summary_counts_rows_hours_and_instruments_and_cites_present_sources() {
    let mut stats = ClipStats::default();
    let wav = |seconds: usize| {
        encode_pcm16(&MonoAudio {
            sample_rate: 100,
            samples: vec![0.0; seconds * 100],
        })
    };
    stats.add(
        &clip("urmp", "01_Jupiter_vn_vc", 0, Split::Train, None),
        Some(&wav(1800)),
    );
    let mut flute = clip("urmp", "02_Sonata_fl_fl", 1, Split::Test, None);
    flute.instruments = vec!["Flute".to_string()];
    stats.add(&flute, Some(&wav(2)));
    stats.add(&clip("demo", "piece-0000", 2, Split::Train, None), None);
    let tables = [table(
        Table::Clips,
        ArrayDims::new(),
        &[(Split::Train, 2), (Split::Test, 1)],
    )];
    let card = render("URMP clips", &tables, &stats, &CardExtras::default()).expect("card");
    let body = card.split("---\n").nth(2).expect("body");

    assert!(body.starts_with("\n# URMP clips\n\n"), "{body}");
    assert!(
        body.contains("| clips | train | 2 | 1 |\n| clips | test | 1 | 1 |\n"),
        "{body}"
    );
    // 1800 s + 2 s of embedded audio; the demo clip has none.
    assert!(body.contains("0.50 hours of audio in the clips table."), "{body}");
    assert!(body.contains("| instrument | clips |\n| --- | ---: |\n| Cello | 2 |\n| Violin | 2 |\n| Flute | 1 |\n"));
    assert!(!body.contains("TODO"), "{body}");
    // Each source's license, and the Hub's fields for URMP's own terms.
    assert!(body.contains("- `demo` (cc0-1.0): "), "{body}");
    assert!(body.contains("- `urmp` (other): URMP (Li et al.) states no open license"), "{body}");
    let front = card.split("---\n").nth(1).expect("front matter");
    assert!(front.contains("license:\n  - \"cc0-1.0\"\n  - \"other\"\nlicense_name: \"urmp-terms\"\nlicense_link: "), "{front}");
    assert!(body.contains("## How each table was made\n\n- `clips`: "), "{body}");
    assert!(body.contains("## Splits\n\nSplits are by piece"), "{body}");
    assert!(body.contains("## Recipe\n\nMade by `prep shards`"), "{body}");
    assert!(body.contains("- Li, B., Liu, X., Dinesh, K., Duan, Z., Sharma, G. (2018). Creating a Multitrack"));
    assert!(body.contains("@article{li2018urmp,\n  title={Creating a Multitrack Classical Music Performance"));
    assert!(!body.contains("Thickstun"), "MusicNet is not a source here");
}
