//! A short-lived cache of the coordinator matrix's read
//! ([`crate::analyses::readable_with_summaries_cached`]), one per [`crate::Store`].
//!
//! Keyed by the scope's readable organisations (what row-level security and the application filter
//! show depends on nothing else for these tables) and the edition, so a cached read is only ever
//! returned to a scope that would have read exactly the same rows. An entry is valid while
//! nothing that it read has changed: a transaction that records an analysis summary bumps the
//! store's generation when it commits, and an entry remembers the generation seen *before* its
//! read, so a write that commits during the read invalidates it. Writers in another process (a
//! separate `taisho work`, another server) are not seen: entries also expire after [`MAX_AGE`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use taisho_domain::OrgId;

use crate::analyses::SummaryRow;
use crate::model::Organisation;

/// How long an entry may live without a write being seen; bounds staleness from other processes.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// At most this many entries (a bound, not a policy: entries are cheap to rebuild).
const MAX_ENTRIES: u64 = 512;

/// Readable organisations by name, and their documents' latest summaries.
pub type MatrixRead = (Vec<Organisation>, Vec<SummaryRow>);

pub(crate) type Key = (bool, Vec<OrgId>, String);

#[derive(Clone)]
struct Entry {
    generation: u64,
    value: Arc<MatrixRead>,
}

/// `moka` keeps the entries (bounded, expiring after [`MAX_AGE`]); the generation number is ours.
pub(crate) struct ReadCache {
    generation: AtomicU64,
    entries: Cache<Key, Entry>,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            generation: AtomicU64::new(0),
            entries: Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(MAX_AGE)
                .build(),
        }
    }
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ReadCache {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A committed write changed what matrix reads see.
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Arc<MatrixRead>> {
        let now = self.generation();
        let e = self.entries.get(key)?;
        (e.generation == now).then_some(e.value)
    }

    /// Stores `value`, read after the generation was `generation`.
    pub(crate) fn put(&self, key: Key, generation: u64, value: Arc<MatrixRead>) {
        self.entries.insert(key, Entry { generation, value });
    }
}
