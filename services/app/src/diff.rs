//! The 新旧対照表 of two versions as data: aligned rows of the old and the new document, each side
//! as spans marked equal / deleted / inserted at morpheme level.
//!
//! Both versions must be readable with text access (a foreign, missing or text-withheld version
//! is NotFound alike); both reads are recorded in the audit log. The engine work (read, tokenise,
//! compare) runs on a blocking thread. Limits never fail the request: past the engine's budget
//! the result says `degraded` with a reason, with coarser rows or none.

use std::sync::Arc;

use taisho_domain::VersionId;
pub use taisho_engine::diff::RowKind;
use taisho_engine::diff::{self as engine_diff, DocDiff, OpTag, Side};
use taisho_engine::pipeline::Pipeline;
use taisho_engine::{EngineError, Limits};
use taisho_store::{Mode, Store, TenantScope, Version, documents};

use crate::analyses::{Span, SpanOp};
use crate::engine::Engine;
use crate::error::{AppError, Result};
use crate::services::Services;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    pub kind: RowKind,
    /// The row is a heading (its numbering label is in [`DiffSide::label`]).
    pub heading: bool,
    /// The old side (absent for an inserted row).
    pub old: Option<DiffSide>,
    /// The new side (absent for a deleted row).
    pub new: Option<DiffSide>,
}

/// One side of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffSide {
    /// Numbering path (`第２章/４/(４)`), empty at the root.
    pub path: String,
    /// A heading's numbering label as written (`（１）`, `第２章`); empty for other rows.
    pub label: String,
    /// 1-based line in the original.
    pub line: u32,
    pub spans: Vec<Span>,
}

/// The comparison of two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDiff {
    pub from: VersionId,
    pub to: VersionId,
    /// Why the result is coarser than usual (a plain Japanese sentence), `None` for a full diff.
    pub degraded: Option<String>,
    pub rows: Vec<DiffRow>,
    /// Rows that are not equal.
    pub changes: usize,
}

fn hint(v: &Version) -> Option<&'static str> {
    match v.format.as_str() {
        "html" => Some("version.html"),
        "markdown" => Some("version.md"),
        _ => None,
    }
}

/// The diff use-cases ([`Services::diffs`]).
#[derive(Debug, Clone, Copy)]
pub struct Diffs<'a>(pub(crate) &'a Services);

impl Diffs<'_> {
    /// The diff from version `from` to version `to` (typically older to newer; any two readable
    /// versions work, also of different documents).
    pub async fn between(
        &self,
        scope: &TenantScope,
        from: VersionId,
        to: VersionId,
    ) -> Result<VersionDiff> {
        diff(&self.0.store, scope, Arc::clone(self.0.engine()), from, to).await
    }
}

/// [`Diffs::between`] over a store and an engine.
async fn diff(
    store: &Store,
    scope: &TenantScope,
    engine: Arc<Engine>,
    from: VersionId,
    to: VersionId,
) -> Result<VersionDiff> {
    let result = async {
        let tx = store.begin(scope, Mode::Write).await?;
        let old_v = documents::get_version(&tx, from).await?;
        let new_v = documents::get_version(&tx, to).await?;
        let old = documents::original(&tx, from).await?;
        let new = documents::original(&tx, to).await?;
        crate::audit::document_read(&tx, &old_v).await?;
        if to != from {
            crate::audit::document_read(&tx, &new_v).await?;
        }
        tx.commit().await?;
        Ok((old_v, old, new_v, new))
    }
    .await;
    let (old_v, old, new_v, new) = crate::audit::on_denial(
        store,
        scope,
        crate::audit::Action::DocumentRead,
        None,
        Some(to.as_uuid()),
        result,
    )
    .await?;
    let (old_hint, new_hint) = (hint(&old_v), hint(&new_v));
    // The engine's spans belong to the request's trace.
    let span = tracing::Span::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let limits = Limits::default();
        let pipeline = Pipeline::new(engine.tokenizer(), &limits);
        let old = pipeline.tokenise(&old, old_hint)?;
        let new = pipeline.tokenise(&new, new_hint)?;
        Ok::<DocDiff, EngineError>(engine_diff::compare(
            (&old.document, &old.tokens),
            (&new.document, &new.tokens),
            &limits,
        ))
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("diff task: {e}")))?;
    match outcome {
        Ok(d) => Ok(convert(from, to, d)),
        Err(e @ (EngineError::DeadlineExceeded { .. } | EngineError::TooManyTokens { .. })) => {
            Ok(VersionDiff {
                from,
                to,
                degraded: Some(format!(
                    "文書が大きすぎるため比較できませんでした（{}）。",
                    e.code().as_str()
                )),
                rows: Vec::new(),
                changes: 0,
            })
        }
        Err(e) => Err(AppError::Document(e)),
    }
}

fn side(s: &Side, spans: Vec<Span>) -> DiffSide {
    DiffSide {
        path: s.path.clone(),
        label: s.label.clone(),
        line: s.line,
        spans,
    }
}

fn whole(s: &Side, op: SpanOp) -> Vec<Span> {
    if s.text.is_empty() {
        Vec::new()
    } else {
        vec![Span {
            op,
            text: s.text.clone(),
        }]
    }
}

fn convert(from: VersionId, to: VersionId, d: DocDiff) -> VersionDiff {
    let changes = d.stats.changes();
    let degraded = d.degraded.as_ref().map(|g| {
        format!(
            "時間内に比較を完了できなかったため、{}行は文単位の置き換えとして表示しています。",
            g.rows
        )
    });
    let rows = d
        .rows
        .iter()
        .map(|row| {
            let heading = row
                .new
                .as_ref()
                .or(row.old.as_ref())
                .is_some_and(|s| s.heading);
            let (old_spans, new_spans) = if row.ops.is_empty() {
                let (o, n) = match row.kind {
                    RowKind::Equal | RowKind::Moved => (SpanOp::Equal, SpanOp::Equal),
                    _ => (SpanOp::Delete, SpanOp::Insert),
                };
                (
                    row.old.as_ref().map(|s| whole(s, o)),
                    row.new.as_ref().map(|s| whole(s, n)),
                )
            } else {
                let mut old = Vec::new();
                let mut new = Vec::new();
                for op in &row.ops {
                    let changed = op.tag != OpTag::Equal;
                    if let Some(s) = op.old.as_ref().filter(|s| !s.text.is_empty()) {
                        old.push(Span {
                            op: if changed {
                                SpanOp::Delete
                            } else {
                                SpanOp::Equal
                            },
                            text: s.text.clone(),
                        });
                    }
                    if let Some(s) = op.new.as_ref().filter(|s| !s.text.is_empty()) {
                        new.push(Span {
                            op: if changed {
                                SpanOp::Insert
                            } else {
                                SpanOp::Equal
                            },
                            text: s.text.clone(),
                        });
                    }
                }
                (row.old.as_ref().map(|_| old), row.new.as_ref().map(|_| new))
            };
            DiffRow {
                kind: row.kind,
                heading,
                old: row
                    .old
                    .as_ref()
                    .zip(old_spans)
                    .map(|(s, spans)| side(s, spans)),
                new: row
                    .new
                    .as_ref()
                    .zip(new_spans)
                    .map(|(s, spans)| side(s, spans)),
            }
        })
        .collect();
    VersionDiff {
        from,
        to,
        degraded,
        rows,
        changes,
    }
}
