//! Which part of the work one task of a job array does: shard `index` of `count`.
//!
//! An item (a piece in `prep run`, a clip in `prep embed`) belongs to the shard given by
//! the blake3 hash of its id (the first 8 bytes, little-endian, modulo `count`): the same
//! on every machine, in every run and in every prep build, whatever the order in which
//! items are listed, so the tasks of an array split the work without talking to each
//! other. A piece is one item, so its clips (and its split) never straddle two shards.
//!
//! The shard comes from the command line (`--num-shards N --shard-index I`) or, when the
//! index is not given, from the engine that started the task ([`Partition::resolve`]):
//! - SLURM job arrays: `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`,
//!   `SLURM_ARRAY_TASK_STEP` and `SLURM_ARRAY_TASK_COUNT` (`--array=1-8` and
//!   `--array=0-14:2` are 8 shards each; the index is the task's position in the array);
//! - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, with the count from `--num-shards`
//!   (the Job's `completions`; Kubernetes does not export it).

use std::fmt;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (`index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

impl Partition {
    /// Shard `index` of `count`, checked.
    pub fn new(index: usize, count: usize) -> Result<Partition> {
        if count == 0 {
            bail!("the number of shards must be at least 1");
        }
        if index >= count {
            bail!("shard index {index} is not below the number of shards {count} (indices count from 0)");
        }
        Ok(Partition { index, count })
    }

    /// The shard from the flags, else from the engine's environment (`env` reads a
    /// variable; the process's own in production), else none: the whole job in one task.
    pub fn resolve(
        num_shards: Option<usize>,
        shard_index: Option<usize>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Partition>> {
        let number = |name: &str| -> Result<Option<usize>> {
            env(name)
                .filter(|value| !value.trim().is_empty())
                .map(|value| value.trim().parse::<usize>().with_context(|| format!("{name}={value:?} is not a number")))
                .transpose()
        };
        if let Some(index) = shard_index {
            let Some(count) = num_shards else { bail!("--shard-index needs --num-shards") };
            return Partition::new(index, count).map(Some);
        }
        if let Some(task) = number("SLURM_ARRAY_TASK_ID")? {
            let first = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let array_count = number("SLURM_ARRAY_TASK_COUNT")?;
            let Some(count) = num_shards.or(array_count) else {
                bail!("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give --num-shards")
            };
            if let (Some(flag), Some(array)) = (num_shards, array_count)
                && flag != array
            {
                bail!("--num-shards {flag} disagrees with the job array's {array} tasks (SLURM_ARRAY_TASK_COUNT)");
            }
            let offset = task.checked_sub(first).filter(|offset| offset % step == 0).with_context(|| {
                format!("SLURM array task {task} is not on the array's grid (first {first}, step {step})")
            })?;
            return Partition::new(offset / step, count)
                .map(Some)
                .context("the SLURM job array has task ids that do not map to shards: use --array=0-(N-1)");
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(count) = num_shards else {
                bail!("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --num-shards, the Job's completions")
            };
            return Partition::new(index, count).map(Some);
        }
        match num_shards {
            Some(count) => bail!(
                "--num-shards {count} without --shard-index, and neither SLURM_ARRAY_TASK_ID nor \
                 JOB_COMPLETION_INDEX is set: which shard is this task?"
            ),
            None => Ok(None),
        }
    }

    /// The shard of the item called `id` (see the module documentation).
    pub fn of(id: &str, count: usize) -> usize {
        let hash = blake3::hash(id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        (u64::from_le_bytes(first) % count.max(1) as u64) as usize
    }

    /// Whether the item called `id` is this shard's.
    pub fn contains(&self, id: &str) -> bool {
        Partition::of(id, self.count) == self.index
    }
}

/// `0003-of-0008`: how staging folders and messages name the shard.
impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-of-{:04}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_hash_is_blake3_and_stable() {
        // Golden values: the first 8 bytes of blake3("demo/00"), little-endian, mod N.
        let hash = blake3::hash(b"demo/00");
        let value = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
        assert_eq!(Partition::of("demo/00", 7), (value % 7) as usize);
        assert_eq!(Partition::of("anything", 1), 0);
        let counts = (0..4000).fold([0usize; 4], |mut counts, i| {
            counts[Partition::of(&format!("piece-{i}"), 4)] += 1;
            counts
        });
        assert!(counts.iter().all(|&n| (900..1100).contains(&n)), "{counts:?}");
    }

    #[test]
    fn every_item_is_in_exactly_one_shard() {
        let shards: Vec<Partition> = (0..3).map(|i| Partition::new(i, 3).expect("valid")).collect();
        for i in 0..100 {
            let id = format!("urmp/{i:02}_piece");
            assert_eq!(shards.iter().filter(|s| s.contains(&id)).count(), 1);
        }
    }

    #[test]
    fn flags_win_then_slurm_then_kubernetes() {
        let none = env(&[]);
        assert_eq!(Partition::resolve(None, None, &none).expect("ok"), None);
        assert_eq!(Partition::resolve(Some(4), Some(2), &none).expect("ok"), Some(Partition { index: 2, count: 4 }));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MIN", "5"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(Partition::resolve(None, None, &slurm).expect("ok"), Some(Partition { index: 2, count: 4 }));
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(Partition::resolve(None, None, &stepped).expect("ok"), Some(Partition { index: 3, count: 4 }));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert_eq!(Partition::resolve(Some(3), None, &k8s).expect("ok"), Some(Partition { index: 1, count: 3 }));
    }

    #[test]
    fn inconsistent_shards_are_refused_with_the_reason() {
        let message = |result: Result<Option<Partition>>| format!("{:#}", result.expect_err("refused"));
        assert!(message(Partition::resolve(Some(4), Some(4), env(&[]))).contains("not below"));
        assert!(message(Partition::resolve(None, Some(1), env(&[]))).contains("needs --num-shards"));
        assert!(message(Partition::resolve(Some(4), None, env(&[]))).contains("which shard"));
        assert!(message(Partition::resolve(None, None, env(&[("JOB_COMPLETION_INDEX", "0")]))).contains("completions"));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert!(message(Partition::resolve(None, None, &slurm)).contains("--array=0-(N-1)"));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert!(message(Partition::resolve(Some(8), None, &slurm)).contains("disagrees"));
        assert!(message(Partition::resolve(None, None, env(&[("SLURM_ARRAY_TASK_ID", "x")]))).contains("not a number"));
    }
}
