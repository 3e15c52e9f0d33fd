//! Uploading a policy version: read by the engine first, then the version and its analysis job in
//! one write transaction.
//!
//! Bad input never reaches the database: the title ([`DocumentTitle`]) and the file name
//! ([`FileName`]) are parsed (a refusal is `INVALID_ARGUMENT`), and the bytes decoded and
//! structured, before the transaction opens; an unreadable file is [`AppError::Document`] with
//! nothing stored. The version and the job commit together or not at all, so there is never a
//! version without its analysis job nor a job for a version that does not exist.

use std::collections::HashMap;
use std::sync::OnceLock;

use taisho_domain::{DocumentId, DocumentTitle, FileName, JobId, OrgId, VersionId};
use taisho_engine::{Document, Limits};
use taisho_guideline::EditionId;
use taisho_store::{Layers, Mode, NewVersion, Store, StoreError, TenantScope, documents};
use taisho_worker::{Enqueued, JobSpec, enqueue};
use tokio::sync::Semaphore;

use crate::engine::{ANALYSIS_JOB, AnalysisPayload, unique_key};
use crate::error::{AppError, Result};
use crate::services::Services;

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
    PERMITS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    })
}

async fn read(bytes: Vec<u8>, hint: Option<String>) -> Result<(Vec<u8>, Document)> {
    let _permit = read_permits()
        .acquire()
        .await
        .map_err(|_| AppError::Unavailable("upload reader closed".into()))?;
    // The engine's spans (engine.decode, engine.structure) belong to the upload's trace.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
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

/// [`Documents::upload_version`], for the app's own callers that hold the store (imports, demo
/// data).
pub(crate) async fn upload_version(
    store: &Store,
    scope: &TenantScope,
    upload: Upload,
    edition: EditionId,
) -> Result<Uploaded> {
    let org = upload.org;
    let target = match &upload.document {
        DocumentRef::Existing(d) => Some(*d),
        _ => None,
    };
    let result = async {
        let prepared = prepare_upload(scope, upload).await?;
        let tx = store.begin(scope, Mode::Write).await?;
        let uploaded = record_upload(&tx, prepared, edition).await?;
        crate::audit::upload_stored(&tx, org, uploaded.version, uploaded.created).await?;
        tx.commit().await?;
        Ok(uploaded)
    }
    .await;
    if let Err(e) = &result {
        // The refusal stands whether or not its entry could be written.
        let _ = crate::audit::upload_refused(store, scope, org, target, e).await;
    }
    result
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
    // Titles and file names are checked before the engine spends any CPU on the bytes.
    let document = match document {
        DocumentRef::New { title, unpublished } => DocumentRef::New {
            title: DocumentTitle::parse(&title)?.into_string(),
            unpublished,
        },
        DocumentRef::ByTitle(title) => {
            DocumentRef::ByTitle(DocumentTitle::parse(&title)?.into_string())
        }
        existing @ DocumentRef::Existing(_) => existing,
    };
    // The file name is only a hint: a blank one is no hint.
    let file_name = match file_name {
        Some(name) if !name.trim().is_empty() => Some(FileName::parse(&name)?.into_string()),
        _ => None,
    };
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

/// The layers a document holds: the answer of the engine's one scope detection
/// ([`taisho_engine::analysis::detect_scope`]: a section heading that *is* a layer's name decides;
/// without one, many mandatory sentences mean a 対策基準 and anything else a 基本方針). The analysis
/// scopes its findings with the same function over the same document, so the layers stored with a
/// version and its analysis' scope cannot disagree.
pub fn detect_layers(doc: &Document) -> Layers {
    let scope = taisho_engine::analysis::detect_scope(doc);
    match (scope.kihon.present, scope.taisaku.present) {
        (true, true) => Layers::Both,
        (false, true) => Layers::Taisaku,
        _ => Layers::Kihon,
    }
}

/// The documents use-cases ([`Services::documents`]).
#[derive(Debug, Clone, Copy)]
pub struct Documents<'a>(pub(crate) &'a Services);

impl Documents<'_> {
    /// Uploads `upload` as a new version (unless identical to an existing one) and queues its analysis
    /// with `edition` (unless queued before), in one write transaction of `scope`. Audited as
    /// `document.upload`: a stored upload (`new_version` or `unchanged`) in that transaction, a refused
    /// one (nothing stored) with its error code in a transaction of its own.
    pub async fn upload_version(
        &self,
        scope: &TenantScope,
        upload: Upload,
        edition: EditionId,
    ) -> Result<Uploaded> {
        upload_version(&self.0.store, scope, upload, edition).await
    }

    /// A version's original bytes for download, recorded as an export in the same transaction; a
    /// foreign, missing or text-hidden version is `NotFound` alike, audited as denied. (The web UI's
    /// "download the original" is its caller.)
    pub async fn export_original(
        &self,
        scope: &TenantScope,
        version: VersionId,
    ) -> Result<Vec<u8>> {
        let store = &self.0.store;
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

    /// The documents of `org`, oldest first. A foreign or missing organisation is NotFound.
    pub async fn list(
        &self,
        scope: &TenantScope,
        org: OrgId,
    ) -> Result<Vec<taisho_store::Document>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::list(&tx, org).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The documents of several organisations (for batch loaders), by organisation, oldest first;
    /// organisations the scope cannot read are absent.
    pub async fn list_many(
        &self,
        scope: &TenantScope,
        orgs: &[OrgId],
    ) -> Result<HashMap<OrgId, Vec<taisho_store::Document>>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::list_many(&tx, orgs).await?;
        tx.rollback().await?;
        let mut out: HashMap<OrgId, Vec<taisho_store::Document>> = HashMap::new();
        for d in list {
            out.entry(d.org_id).or_default().push(d);
        }
        Ok(out)
    }

    /// One document. Foreign and missing ids are NotFound alike.
    pub async fn get(&self, scope: &TenantScope, id: DocumentId) -> Result<taisho_store::Document> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let d = documents::get(&tx, id).await?;
        tx.rollback().await?;
        Ok(d)
    }

    /// Documents by id (for batch loaders); foreign and missing ids are absent.
    pub async fn get_many(
        &self,
        scope: &TenantScope,
        ids: &[DocumentId],
    ) -> Result<HashMap<DocumentId, taisho_store::Document>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::get_many(&tx, ids).await?;
        tx.rollback().await?;
        Ok(list.into_iter().map(|d| (d.id, d)).collect())
    }

    /// The versions of a document, oldest first. A foreign or missing document is NotFound.
    pub async fn versions(
        &self,
        scope: &TenantScope,
        document: DocumentId,
    ) -> Result<Vec<taisho_store::Version>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::list_versions(&tx, document).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// The versions of several documents (for batch loaders), oldest first; documents the scope cannot
    /// read are absent.
    pub async fn versions_of(
        &self,
        scope: &TenantScope,
        docs: &[DocumentId],
    ) -> Result<HashMap<DocumentId, Vec<taisho_store::Version>>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::versions_of(&tx, docs).await?;
        tx.rollback().await?;
        let mut out: HashMap<DocumentId, Vec<taisho_store::Version>> = HashMap::new();
        for v in list {
            out.entry(v.document_id).or_default().push(v);
        }
        Ok(out)
    }

    /// One version's metadata (format, encoding, layers, size). Foreign and missing ids are NotFound
    /// alike; metadata needs no text access.
    pub async fn version(
        &self,
        scope: &TenantScope,
        id: VersionId,
    ) -> Result<taisho_store::Version> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let v = documents::get_version(&tx, id).await?;
        tx.rollback().await?;
        Ok(v)
    }

    /// Versions by id (for batch loaders); foreign and missing ids are absent.
    pub async fn versions_by_id(
        &self,
        scope: &TenantScope,
        ids: &[VersionId],
    ) -> Result<HashMap<VersionId, taisho_store::Version>> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let list = documents::get_versions(&tx, ids).await?;
        tx.rollback().await?;
        Ok(list.into_iter().map(|v| (v.id, v)).collect())
    }

    /// Marks a document unpublished (its text is then hidden from coordinators and grantees without
    /// text access) or published again. Admins and editors of its organisation only: viewers get
    /// Forbidden, foreign or missing documents NotFound.
    pub async fn set_unpublished(
        &self,
        scope: &TenantScope,
        id: DocumentId,
        unpublished: bool,
    ) -> Result<taisho_store::Document> {
        let tx = self.0.store.begin(scope, Mode::Write).await?;
        let d = documents::set_unpublished(&tx, id, unpublished).await?;
        crate::audit::document_unpublished_set(&tx, &d).await?;
        tx.commit().await?;
        Ok(d)
    }
}
