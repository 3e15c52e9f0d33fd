//! Uploading a policy version: read by the engine first, then the version and its analysis job in
//! one write transaction.
//!
//! Bad input never reaches the database: the bytes are decoded and structured before the
//! transaction opens, and a failure is returned as [`AppError::Document`] with nothing stored. The
//! version and the job commit together or not at all, so there is never a version without its
//! analysis job nor a job for a version that does not exist.

use std::sync::OnceLock;

use taisho_domain::{DocumentId, JobId, OrgId, VersionId};
use taisho_engine::document::{NodeKind, SentenceRole};
use taisho_engine::{Document, Limits};
use taisho_guideline::EditionId;
use taisho_store::{Layers, Mode, NewVersion, Store, StoreError, TenantScope, documents};
use taisho_worker::{Enqueued, JobSpec, enqueue};
use tokio::sync::Semaphore;

use crate::analysis::{ANALYSIS_JOB, AnalysisPayload, unique_key};
use crate::error::{AppError, Result};

/// Which document a version belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRef {
    /// A new document of the organisation.
    New { title: String, unpublished: bool },
    /// An existing document (of the organisation given with the upload).
    Existing(DocumentId),
    /// The organisation's document with this title, created (published) if there is none: how
    /// imports and demo data stay idempotent across runs. Two concurrent first uploads of one title
    /// may create two documents.
    ByTitle(String),
}

/// One upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub org: OrgId,
    pub document: DocumentRef,
    pub bytes: Vec<u8>,
    /// The file name or media type, a decoding hint only (detection reads the bytes).
    pub file_name: Option<String>,
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    pub document: DocumentId,
    pub version: VersionId,
    pub seq: i32,
    /// False when the document already had a version with identical bytes.
    pub created: bool,
    pub job: JobId,
    /// False when the analysis of this version and edition was queued before.
    pub job_created: bool,
    pub layers: Layers,
}

/// Engine reads at upload are CPU work: they run on blocking threads, at most one per core, so a
/// burst of uploads queues instead of starving the async executor.
fn read_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

async fn read(bytes: Vec<u8>, hint: Option<String>) -> Result<(Vec<u8>, Document)> {
    let _permit = read_permits()
        .acquire()
        .await
        .map_err(|_| AppError::Unavailable("upload reader closed".into()))?;
    tokio::task::spawn_blocking(move || {
        let doc = taisho_engine::read(&bytes, hint.as_deref(), &Limits::default());
        doc.map(|d| (bytes, d))
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("reading the upload: {e}")))?
    .map_err(AppError::Document)
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Uploads `upload` as a new version (unless identical to an existing one) and queues its analysis
/// with `edition` (unless queued before), in one write transaction of `scope`.
pub async fn upload_version(
    store: &Store,
    scope: &TenantScope,
    upload: Upload,
    edition: EditionId,
) -> Result<Uploaded> {
    let prepared = prepare_upload(scope, upload).await?;
    let tx = store.begin(scope, Mode::Write).await?;
    let uploaded = record_upload(&tx, prepared, edition).await?;
    tx.commit().await?;
    Ok(uploaded)
}

/// An upload that the engine has read and that may be stored: the CPU part, done before any
/// transaction is open.
pub struct PreparedUpload {
    org: OrgId,
    document: DocumentRef,
    file_name: Option<String>,
    new: NewVersion,
}

/// Checks access and reads the bytes with the engine (bad input is refused here, before anything
/// is stored).
pub async fn prepare_upload(scope: &TenantScope, upload: Upload) -> Result<PreparedUpload> {
    let Upload {
        org,
        document,
        bytes,
        file_name,
    } = upload;
    // Refused before any CPU is spent on a request that cannot be stored.
    if !scope.can_read(org) {
        return Err(StoreError::NotFound.into());
    }
    if !scope.can_write(org) {
        return Err(StoreError::Forbidden.into());
    }
    let (bytes, doc) = read(bytes, file_name.clone()).await?;
    let layers = detect_layers(&doc);
    let new = NewVersion {
        original: bytes,
        text: doc.original,
        encoding: name_of(&doc.meta.encoding),
        format: name_of(&doc.meta.format),
        layers,
    };
    Ok(PreparedUpload {
        org,
        document,
        file_name,
        new,
    })
}

/// Stores a prepared upload and enqueues its analysis in the caller's write transaction, so the
/// version and its job commit or roll back together.
pub async fn record_upload(
    tx: &taisho_store::Tx,
    prepared: PreparedUpload,
    edition: EditionId,
) -> Result<Uploaded> {
    let PreparedUpload {
        org,
        document,
        file_name,
        new,
    } = prepared;
    let document = match document {
        DocumentRef::New { title, unpublished } => {
            documents::create(tx, org, &title, unpublished).await?.id
        }
        DocumentRef::Existing(id) => {
            let d = documents::get(tx, id).await?;
            if d.org_id != org {
                return Err(StoreError::NotFound.into());
            }
            d.id
        }
        DocumentRef::ByTitle(title) => {
            let existing = documents::list(tx, org)
                .await?
                .into_iter()
                .find(|d| d.title == title.trim());
            match existing {
                Some(d) => d.id,
                None => documents::create(tx, org, &title, false).await?.id,
            }
        }
    };
    let (version, created) = documents::add_version(tx, document, new).await?;
    let payload = serde_json::to_value(AnalysisPayload {
        version: version.id,
        edition,
        hint: file_name,
    })
    .map_err(|e| AppError::Invalid(format!("job payload: {e}")))?;
    let job = enqueue(
        tx,
        org,
        JobSpec::new(ANALYSIS_JOB, payload).unique_key(unique_key(version.id, edition)),
    )
    .await?;
    Ok(Uploaded {
        document,
        version: version.id,
        seq: version.seq,
        created,
        job: job.id(),
        job_created: matches!(job, Enqueued::Created(_)),
        layers: version.layers,
    })
}

/// Mandatory sentences from which a document without layer headings holds a 対策基準 (the
/// analysis' own threshold).
const TAISAKU_MIN_MANDATORY: usize = 40;

/// The layers a document holds, by the rules of the analysis' scope detection: a section heading
/// that *is* a layer's name (at most two levels deep) decides; without one, many mandatory
/// sentences mean a 対策基準 and anything else a 基本方針. It reads the clean text, not the
/// tokenizer's folded text, so a document that spells 「なければならない」 unusually can land on the
/// other side of the threshold; the analysis stored with the version has the authoritative scope.
pub fn detect_layers(doc: &Document) -> Layers {
    let depth = |mut id: taisho_engine::NodeId| {
        let mut d = 0;
        while let Some(p) = doc.node(id).parent {
            d += 1;
            id = p;
        }
        d
    };
    let heading_is = |text: &str, name: &str| {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '「' | '」' | '『' | '』'))
            .collect();
        t.ends_with(name)
    };
    let has_heading = |name: &str| {
        doc.nodes.iter().any(|n| {
            n.kind == NodeKind::Section
                && depth(n.id) <= 2
                && doc.heading_text(n.id).is_some_and(|h| heading_is(h, name))
        })
    };
    let kihon = has_heading("基本方針");
    let taisaku = has_heading("対策基準") || {
        let mandatory = doc
            .sentences
            .iter()
            .filter(|s| s.role == SentenceRole::Body)
            .filter(|s| doc.sentence_text(s.id).contains("なければならない"))
            .count();
        mandatory >= TAISAKU_MIN_MANDATORY
    };
    match (kihon, taisaku) {
        (true, true) => Layers::Both,
        // Text outside a headed 対策基準 is the policy's 基本方針 part, if it says anything.
        (false, true) if body_outside_taisaku(doc).is_some_and(|n| n >= 5) => Layers::Both,
        (false, true) => Layers::Taisaku,
        _ => Layers::Kihon,
    }
}

/// Body sentences outside the section headed 対策基準, if there is one.
fn body_outside_taisaku(doc: &Document) -> Option<usize> {
    let section = doc.nodes.iter().find(|n| {
        n.kind == NodeKind::Section
            && doc
                .heading_text(n.id)
                .is_some_and(|h| h.trim_end().ends_with("対策基準"))
    })?;
    Some(
        doc.sentences
            .iter()
            .filter(|s| s.role == SentenceRole::Body)
            .filter(|s| !section.range.contains(&s.range.start))
            .count(),
    )
}

/// A version's decoded text as a reader sees it, with the read recorded in the audit log in the
/// same (write) transaction: no text leaves the store unrecorded. A foreign, missing or text-hidden version
/// is `NotFound` alike; a refusal is audited as denied.
pub async fn read_text(store: &Store, scope: &TenantScope, version: VersionId) -> Result<String> {
    let result = async {
        let tx = store.begin(scope, Mode::Write).await?;
        let v = documents::get_version(&tx, version).await?;
        let text = documents::text(&tx, version).await?;
        crate::audit::document_read(&tx, &v).await?;
        tx.commit().await?;
        Ok(text)
    }
    .await;
    crate::audit::on_denial(
        store,
        scope,
        crate::audit::Action::DocumentRead,
        None,
        Some(version.as_uuid()),
        result,
    )
    .await
}

/// A version's original bytes for download, recorded as an export in the same transaction.
pub async fn export_original(
    store: &Store,
    scope: &TenantScope,
    version: VersionId,
) -> Result<Vec<u8>> {
    let result = async {
        let tx = store.begin(scope, Mode::Write).await?;
        let v = documents::get_version(&tx, version).await?;
        let bytes = documents::original(&tx, version).await?;
        crate::audit::document_export(&tx, v.org_id, version).await?;
        tx.commit().await?;
        Ok(bytes)
    }
    .await;
    crate::audit::on_denial(
        store,
        scope,
        crate::audit::Action::DocumentExport,
        None,
        Some(version.as_uuid()),
        result,
    )
    .await
}
