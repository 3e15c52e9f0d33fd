//! `diff(from, to)`: the 新旧対照表 of two versions as rows of marked spans.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use taisho_app::diff::{self as app, RowKind};
use taisho_domain::VersionId;

use crate::analyses::DiffSpan;
use crate::context::request;
use crate::error::ResultExt;
use crate::ids;

/// What happened to one aligned row.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffRowKind {
    Equal,
    Changed,
    Inserted,
    Deleted,
    /// The sentence appears elsewhere in the new version (possibly with small changes).
    Moved,
}

impl From<RowKind> for DiffRowKind {
    fn from(k: RowKind) -> Self {
        match k {
            RowKind::Equal => DiffRowKind::Equal,
            RowKind::Changed => DiffRowKind::Changed,
            RowKind::Inserted => DiffRowKind::Inserted,
            RowKind::Deleted => DiffRowKind::Deleted,
            RowKind::Moved => DiffRowKind::Moved,
        }
    }
}

/// One aligned row: `old` spans are EQUAL or DELETE, `new` spans EQUAL or INSERT; a side is null
/// when the row has none (inserted / deleted sentences).
#[derive(SimpleObject, Debug, Clone)]
pub struct DiffRow {
    pub kind: DiffRowKind,
    pub heading: bool,
    pub old: Option<Vec<DiffSpan>>,
    pub new: Option<Vec<DiffSpan>>,
    /// Numbering path and line of the old side.
    pub old_path: Option<String>,
    pub old_line: Option<u32>,
    /// Numbering path and line of the new side.
    pub new_path: Option<String>,
    pub new_line: Option<u32>,
}

/// The comparison of two versions, in the new version's order.
pub struct VersionDiff(pub app::VersionDiff);

#[Object]
impl VersionDiff {
    async fn from(&self) -> ID {
        ids::id(self.0.from)
    }

    async fn to(&self) -> ID {
        ids::id(self.0.to)
    }

    /// True when limits made the result coarser (see `degradedReason`).
    async fn degraded(&self) -> bool {
        self.0.degraded.is_some()
    }

    /// Why the result is coarser, in plain Japanese.
    async fn degraded_reason(&self) -> Option<&str> {
        self.0.degraded.as_deref()
    }

    /// Rows that are not equal.
    async fn changes(&self) -> usize {
        self.0.changes
    }

    // In memory, no I/O: counted once (not per element), so whole tables fit the limit.
    async fn rows(&self) -> Vec<DiffRow> {
        self.0
            .rows
            .iter()
            .map(|r| DiffRow {
                kind: r.kind.into(),
                heading: r.heading,
                old: r
                    .old
                    .as_ref()
                    .map(|s| s.spans.iter().map(Into::into).collect()),
                new: r
                    .new
                    .as_ref()
                    .map(|s| s.spans.iter().map(Into::into).collect()),
                old_path: r.old.as_ref().map(|s| s.path.clone()),
                old_line: r.old.as_ref().map(|s| s.line),
                new_path: r.new.as_ref().map(|s| s.path.clone()),
                new_line: r.new.as_ref().map(|s| s.line),
            })
            .collect()
    }
}

#[derive(Default)]
pub struct DiffQuery;

#[Object]
impl DiffQuery {
    /// The 新旧対照表 from version `from` to version `to`. Both must be readable with text access
    /// (otherwise `NOT_FOUND`, as for missing versions).
    #[graphql(complexity = "crate::limits::TABLE_COST + child_complexity")]
    async fn diff(&self, ctx: &Context<'_>, from: ID, to: ID) -> Result<VersionDiff> {
        let from = ids::decode::<VersionId>(&from)?;
        let to = ids::decode::<VersionId>(&to)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .diffs()
            .between(scope, from, to)
            .await
            .gql()
            .map(VersionDiff)
    }
}
