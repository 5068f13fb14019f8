//! What a dataset folder holds, remembered between commands in `.prep/manifest.json`: the
//! card's title, the clip statistics and every table written so far. `prep shards` writes
//! the clips and qa tables and `prep embed` the embeddings table later, each in its own
//! run; both record their table here and re-render the card from the whole manifest, so
//! the card always lists every table of the folder. Paths are stored relative to the
//! dataset folder (`data/<config>/<file>`), so the folder can be moved or uploaded.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

use super::card::{self, CardExtras, ClipStats};
use super::features::ArrayDims;
use super::schema::Table;
use super::writer::{SplitFiles, TableFiles};
use crate::datasets::Split;
use crate::output::write_atomically;

/// The manifest of one dataset folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub title: String,
    pub stats: ClipStats,
    /// The chat export and the recipe, for the card.
    #[serde(default)]
    pub extras: CardExtras,
    /// By config name.
    tables: BTreeMap<String, TableRecord>,
}

/// A table as the manifest stores it (its schema comes from `schemas/` by name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TableRecord {
    dims: ArrayDims,
    splits: BTreeMap<Split, SplitFiles>,
}

impl Manifest {
    /// The folder's manifest, or an empty one titled `title` if no command wrote one yet.
    pub fn load_or_new(dataset: &Path, title: &str) -> Result<Manifest> {
        Ok(Manifest::load(dataset)?.unwrap_or_else(|| Manifest {
            title: title.to_string(),
            stats: ClipStats::default(),
            extras: CardExtras::default(),
            tables: BTreeMap::new(),
        }))
    }

    fn path(dataset: &Path) -> PathBuf {
        dataset.join(".prep").join("manifest.json")
    }

    /// The folder's manifest, if a command wrote one.
    pub fn load(dataset: &Path) -> Result<Option<Manifest>> {
        let path = Manifest::path(dataset);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Records `table`, replacing what the manifest said about it before; its files are
    /// kept by their path relative to the dataset folder.
    pub fn record(&mut self, table: &TableFiles) {
        let relative = |path: &PathBuf| match path.file_name() {
            Some(name) => Path::new("data").join(&table.config).join(name),
            None => path.clone(),
        };
        let splits = table
            .splits
            .iter()
            .map(|(split, files)| {
                (*split, SplitFiles { files: files.files.iter().map(relative).collect(), ..files.clone() })
            })
            .collect();
        let record = TableRecord { dims: table.dims.clone(), splits };
        self.tables.insert(table.config.clone(), record);
    }

    /// Every table the manifest lists, with its schema.
    pub fn tables(&self) -> Result<Vec<TableFiles>> {
        self.tables.iter().map(|(config, record)| table_files(config, record)).collect()
    }

    /// Writes the manifest and the card (`README.md`) rendered from it; returns the card's
    /// path.
    pub fn save(&self, dataset: &Path) -> Result<PathBuf> {
        let tables = self.tables()?;
        let card_path = dataset.join("README.md");
        let card = card::render(&self.title, &tables, &self.stats, &self.extras)?;
        write_atomically(&Manifest::path(dataset), &serde_json::to_vec_pretty(self)?)?;
        write_atomically(&card_path, card.as_bytes())?;
        Ok(card_path)
    }
}

fn table_files(config: &str, record: &TableRecord) -> Result<TableFiles> {
    let table = Table::ALL
        .into_iter()
        .find(|t| t.config_name() == config)
        .ok_or_else(|| anyhow!("the manifest lists an unknown table `{config}`"))?;
    Ok(TableFiles {
        config: config.to_string(),
        schema: table.schema()?,
        dims: record.dims.clone(),
        splits: record.splits.clone(),
    })
}
