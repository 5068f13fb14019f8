//! Deterministic generated corpora: the demo data, benchmark corpora and test scores.
