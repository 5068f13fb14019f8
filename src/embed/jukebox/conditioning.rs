//! The top-level prior's metadata conditioning: the label vector of a context window
//! (artist, genres, song length, the window's offset and length) turned into the start
//! embedding that replaces the first token (`y_cond`) and the per-position timing
//! embedding added to every input (`x_cond`).
//!
//! Mirrors transformers' `JukeboxLabelConditioner` and `JukeboxRangeEmbedding`
//! (`modeling_jukebox.py`; OpenAI's `LabelConditioner` / `RangeEmbedding` in
//! `jukebox/prior/conditioners.py`). The timing bins are computed in f32 with the
//! reference's operations in the reference's order, so that a position on a bin edge
//! falls on the same side. Everything here is f32: the tables are small and the sums are
//! cast to the prior's dtype once, in [`super::prior`].
//!
//! Lyrics are not here (the top-level prior of JukeMIR and LLark has none).

use anyhow::{Context, Result, ensure};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::config::PriorConfig;

/// A window's label vector, the `metadata` row `JukeboxPrior.get_metadata` builds:
/// `[total_length, offset, sample_length, artist, genre...]` (lengths in samples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// The song's length in samples.
    pub total_length: i64,
    /// The window's start in the song, in samples.
    pub offset: i64,
    /// The window's length in samples (`n_ctx * hop` for every window, as the reference
    /// sets it).
    pub sample_length: i64,
    pub artist: i64,
    /// `max_nb_genres` genre ids, unused slots -1.
    pub genres: Vec<i64>,
}

/// The conditioning of one window: `start` `[width]` replaces the first token's embedding,
/// `positions` `[n_ctx, width]` is added to every position (absent for a prior without
/// metadata conditioning, which adds nothing).
pub struct Conditioning {
    pub start: Tensor,
    pub positions: Option<Tensor>,
}

/// `JukeboxRangeEmbedding`: positions interpolated over `[start, end)` in `n_time` steps,
/// binned into `bins` equal bins of `[pos_min, pos_max)`, looked up in `emb`.
struct RangeEmbedding {
    n_time: usize,
    bins: usize,
    pos_min: f64,
    pos_max: f64,
    clamp: bool,
    emb: Tensor,
}

impl RangeEmbedding {
    fn load(
        n_time: usize,
        config: &PriorConfig,
        range: (f64, f64),
        clamp: bool,
        vb: VarBuilder,
    ) -> Result<Self> {
        let emb = vb.get((config.timing_dims, config.hidden_size), "weight")?;
        Ok(RangeEmbedding {
            n_time,
            bins: config.timing_dims,
            pos_min: range.0,
            pos_max: range.1,
            clamp,
            emb,
        })
    }

    /// The bin of each of the `n_time` positions, in f32 as the reference computes them.
    fn bins(&self, start: f32, end: f32) -> Result<Vec<u32>> {
        let end = if self.clamp {
            end.clamp(self.pos_min as f32, self.pos_max as f32)
        } else {
            end
        };
        let (pos_min, span) = (self.pos_min as f32, (self.pos_max - self.pos_min) as f32);
        let n_time = self.n_time as f32;
        (0..self.n_time)
            .map(|i| {
                let position = if self.n_time == 1 {
                    start
                } else {
                    start + (end - start) * (i as f32 / n_time)
                };
                let bin = (self.bins as f32 * ((position - pos_min) / span)).floor();
                ensure!(
                    bin >= 0.0 && bin < self.bins as f32,
                    "timing position {position} is outside [{}, {})",
                    self.pos_min,
                    self.pos_max
                );
                Ok(bin as u32)
            })
            .collect()
    }

    /// `[n_time, width]`.
    fn forward(&self, start: f32, end: f32) -> Result<Tensor> {
        let bins = self.bins(start, end)?;
        let bins = Tensor::from_vec(bins, self.n_time, self.emb.device())?;
        Ok(self.emb.index_select(&bins, 0)?)
    }
}

/// The timing embeddings of `JukeboxLabelConditioner` (`include_time_signal`).
struct Timing {
    total_length_emb: RangeEmbedding,
    absolute_pos_emb: RangeEmbedding,
    relative_pos_emb: RangeEmbedding,
}

/// `JukeboxLabelConditioner` (see the module documentation).
pub struct LabelConditioner {
    bow_genre_emb: Tensor,
    artist_emb: Tensor,
    timing: Timing,
    max_nb_genres: usize,
}

impl LabelConditioner {
    /// Loads from `vb` rooted at `metadata_embedding`, in f32.
    pub fn load(config: &PriorConfig, vb: VarBuilder) -> Result<Self> {
        let vb = vb.to_dtype(DType::F32);
        let (genres, artists) = (config.metadata_dims[0], config.metadata_dims[1]);
        let sr = f64::from(config.sampling_rate);
        let n_ctx = config.n_ctx;
        let (min_length, max_length) = (config.min_duration * sr, config.max_duration * sr);
        let timing = Timing {
            total_length_emb: RangeEmbedding::load(
                1,
                config,
                (min_length, max_length),
                false,
                vb.pp("total_length_emb").pp("emb"),
            )?,
            absolute_pos_emb: RangeEmbedding::load(
                n_ctx,
                config,
                (0.0, max_length),
                false,
                vb.pp("absolute_pos_emb").pp("emb"),
            )?,
            relative_pos_emb: RangeEmbedding::load(
                n_ctx,
                config,
                (0.0, 1.0),
                true,
                vb.pp("relative_pos_emb").pp("emb"),
            )?,
        };
        Ok(LabelConditioner {
            bow_genre_emb: vb.get((genres, config.hidden_size), "bow_genre_emb.weight")?,
            artist_emb: vb.get((artists, config.hidden_size), "artist_emb.weight")?,
            timing,
            max_nb_genres: config.max_nb_genres,
        })
    }

    /// `JukeboxLabelConditioner.forward` for one label vector: the start embedding (the sum
    /// of the genres' embeddings, -1 slots skipped, plus the artist's) and the timing
    /// embedding `total_length + absolute position + relative position`, `[n_ctx, width]`.
    pub fn forward(&self, labels: &Labels) -> Result<Conditioning> {
        ensure!(
            labels.genres.len() == self.max_nb_genres,
            "labels have {} genre slots, the model {}",
            labels.genres.len(),
            self.max_nb_genres
        );
        let device = self.artist_emb.device();
        let artist = lookup(&self.artist_emb, labels.artist, device).context("artist id")?;
        let mut genre_sum = artist.zeros_like()?;
        for &genre in &labels.genres {
            if genre >= 0 {
                genre_sum = (genre_sum
                    + lookup(&self.bow_genre_emb, genre, device).context("genre id")?)?;
            }
        }
        let start = (genre_sum + artist)?;

        let total = labels.total_length as f32;
        let (begin, end) = (
            labels.offset as f32,
            (labels.offset + labels.sample_length) as f32,
        );
        let timing = &self.timing;
        let positions = timing
            .total_length_emb
            .forward(total, total)
            .context("total length")?
            .broadcast_add(
                &timing
                    .absolute_pos_emb
                    .forward(begin, end)
                    .context("offset")?,
            )?
            .add(
                &timing
                    .relative_pos_emb
                    .forward(begin / total, end / total)
                    .context("relative offset")?,
            )?;
        Ok(Conditioning {
            start,
            positions: Some(positions),
        })
    }
}

/// Row `id` of `table` as `[width]`, refusing an id outside the table.
fn lookup(table: &Tensor, id: i64, device: &Device) -> Result<Tensor> {
    let rows = table.dim(0)?;
    ensure!(
        (0..rows as i64).contains(&id),
        "id {id} is outside the table's {rows} rows"
    );
    Ok(table
        .index_select(&Tensor::new(&[id as u32], device)?, 0)?
        .squeeze(0)?)
}
