//! Documents, their versions, uploads (GraphQL multipart request spec), publication and
//! re-analysis.
//!
//! Nested lists go through DataLoaders: an organisation list's `documents`, a document list's
//! `versions`/`latestVersion`, a version list's `document` and `analysis` each cost one query per
//! level.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use taisho_app::documents::{self as app_docs, DocumentRef};
use taisho_app::records::{
    Document as StoreDocument, Layers as StoreLayers, Version as StoreVersion,
};
use taisho_domain::{DocumentId, OrgId, VersionId};
use taisho_guideline::EditionId;

use crate::accounts::Organisation;
use crate::analyses::{Analysis, AnalysisProgress, VersionAnalysisLoader};
use crate::connection::{self, Page};
use crate::context::{Session, request};
use crate::error::{self, ResultExt};
use crate::ids;
use crate::loaders::OrgLoader;

/// Largest accepted upload, in bytes (the engine's input limit).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Which layers of a policy a version holds.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layers {
    /// 情報セキュリティ基本方針 only.
    Kihon,
    /// 情報セキュリティ対策基準 only.
    Taisaku,
    Both,
}

impl From<StoreLayers> for Layers {
    fn from(l: StoreLayers) -> Self {
        match l {
            StoreLayers::Kihon => Layers::Kihon,
            StoreLayers::Taisaku => Layers::Taisaku,
            StoreLayers::Both => Layers::Both,
        }
    }
}

/// The edition an argument names, or the service's default; unknown: `INVALID_ARGUMENT`.
pub(crate) fn edition_arg(ctx: &Context<'_>, edition: Option<&str>) -> Result<EditionId> {
    let rc = request(ctx)?;
    taisho_app::catalog::edition(edition, rc.services().edition()).gql()
}

// ---------------------------------------------------------------------------------------------
// Loaders

/// Documents by id.
pub struct DocumentLoader(pub Arc<Session>);

impl Loader<DocumentId> for DocumentLoader {
    type Value = StoreDocument;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[DocumentId],
    ) -> Result<HashMap<DocumentId, StoreDocument>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0
            .services
            .documents()
            .get_many(scope, keys)
            .await
            .gql()
    }
}

/// Versions by id.
pub struct VersionLoader(pub Arc<Session>);

impl Loader<VersionId> for VersionLoader {
    type Value = StoreVersion;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VersionId],
    ) -> Result<HashMap<VersionId, StoreVersion>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0
            .services
            .documents()
            .versions_by_id(scope, keys)
            .await
            .gql()
    }
}

/// The versions of documents, oldest first.
pub struct DocumentVersionsLoader(pub Arc<Session>);

impl Loader<DocumentId> for DocumentVersionsLoader {
    type Value = Arc<Vec<StoreVersion>>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[DocumentId],
    ) -> Result<HashMap<DocumentId, Arc<Vec<StoreVersion>>>, Self::Error> {
        let scope = self.0.scope().await?;
        let found = self
            .0
            .services
            .documents()
            .versions_of(scope, keys)
            .await
            .gql()?;
        Ok(found.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// The documents of organisations, oldest first.
pub struct OrgDocumentsLoader(pub Arc<Session>);

impl Loader<OrgId> for OrgDocumentsLoader {
    type Value = Arc<Vec<StoreDocument>>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[OrgId],
    ) -> Result<HashMap<OrgId, Arc<Vec<StoreDocument>>>, Self::Error> {
        let scope = self.0.scope().await?;
        let found = self
            .0
            .services
            .documents()
            .list_many(scope, keys)
            .await
            .gql()?;
        Ok(found.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

pub(crate) async fn load_version(ctx: &Context<'_>, id: VersionId) -> Result<Option<Version>> {
    Ok(request(ctx)?
        .loader(VersionLoader)
        .load_one(id)
        .await?
        .map(Version))
}

pub(crate) async fn load_document(ctx: &Context<'_>, id: DocumentId) -> Result<Option<Document>> {
    Ok(request(ctx)?
        .loader(DocumentLoader)
        .load_one(id)
        .await?
        .map(Document))
}

/// `Query.node` for documents.
pub async fn document_node(ctx: &Context<'_>, id: DocumentId) -> Result<Document> {
    load_document(ctx, id).await?.ok_or_else(error::not_found)
}

/// `Query.node` for versions.
pub async fn version_node(ctx: &Context<'_>, id: VersionId) -> Result<Version> {
    load_version(ctx, id).await?.ok_or_else(error::not_found)
}

// ---------------------------------------------------------------------------------------------
// Types

/// A policy document of an organisation; its content lives in immutable versions.
pub struct Document(pub StoreDocument);

#[Object]
impl Document {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Unpublished documents' text is hidden from coordinators and grantees without text access
    /// (they still see statuses).
    async fn unpublished(&self) -> bool {
        self.0.unpublished
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(request(ctx)?
            .loader(OrgLoader)
            .load_one(self.0.org_id)
            .await?
            .map(Organisation::new))
    }

    /// Versions, oldest first.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn versions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Version>> {
        let list = request(ctx)?
            .loader(DocumentVersionsLoader)
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        connection::from_vec(
            ctx,
            first,
            after,
            list.iter().cloned().map(Version).collect(),
        )
    }

    /// The newest version.
    async fn latest_version(&self, ctx: &Context<'_>) -> Result<Option<Version>> {
        let list = request(ctx)?
            .loader(DocumentVersionsLoader)
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(list.last().cloned().map(Version))
    }
}

/// One immutable upload of a document, with what the engine detected.
pub struct Version(pub StoreVersion);

#[Object]
impl Version {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    /// 1 for the first version of the document.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Detected format: `text`, `markdown` or `html`.
    async fn format(&self) -> &str {
        &self.0.format
    }

    /// Detected encoding of the original bytes (`utf8`, `shift_jis`, …).
    async fn encoding(&self) -> &str {
        &self.0.encoding
    }

    async fn layers(&self) -> Layers {
        self.0.layers.into()
    }

    /// Size of the original upload in bytes.
    async fn byte_length(&self) -> i64 {
        self.0.byte_len
    }

    /// SHA-256 of the original bytes (hex).
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn document(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        load_document(ctx, self.0.document_id).await
    }

    /// The analysis with `edition` (default: the service's edition); null until it is recorded.
    async fn analysis(
        &self,
        ctx: &Context<'_>,
        edition: Option<String>,
    ) -> Result<Option<Analysis>> {
        let edition = edition_arg(ctx, edition.as_deref())?;
        Ok(request(ctx)?
            .loader(VersionAnalysisLoader)
            .load_one((self.0.id, edition))
            .await?
            .map(Analysis))
    }

    /// Where the analysis with `edition` stands; null when it was never queued.
    async fn progress(
        &self,
        ctx: &Context<'_>,
        edition: Option<String>,
    ) -> Result<Option<AnalysisProgress>> {
        let edition = edition_arg(ctx, edition.as_deref())?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        Ok(rc
            .services()
            .progress()
            .get(scope, self.0.id, edition)
            .await
            .gql()?
            .map(AnalysisProgress::from))
    }
}

/// The documents part of `Organisation` (merged into it, see [`crate::extend`]).
pub struct OrganisationDocuments(pub OrgId);

#[Object]
impl OrganisationDocuments {
    /// The organisation's documents, oldest first.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn documents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Document>> {
        let list = request(ctx)?
            .loader(OrgDocumentsLoader)
            .load_one(self.0)
            .await?
            .unwrap_or_default();
        connection::from_vec(
            ctx,
            first,
            after,
            list.iter().cloned().map(Document).collect(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Query and mutations

#[derive(Default)]
pub struct DocumentsQuery;

#[Object]
impl DocumentsQuery {
    /// One document. Missing or not readable: `NOT_FOUND`.
    async fn document(&self, ctx: &Context<'_>, id: ID) -> Result<Document> {
        let id = ids::decode::<DocumentId>(&id)?;
        request(ctx)?.scope().await?;
        document_node(ctx, id).await
    }

    /// One version. Missing or not readable: `NOT_FOUND`.
    async fn version(&self, ctx: &Context<'_>, id: ID) -> Result<Version> {
        let id = ids::decode::<VersionId>(&id)?;
        request(ctx)?.scope().await?;
        version_node(ctx, id).await
    }
}

/// A new version of a document: an existing `document` of the organisation, or a new one named
/// `title`.
#[derive(InputObject)]
pub struct UploadVersionInput {
    pub organisation: ID,
    /// The document to add a version to; without it a new document is created.
    pub document: Option<ID>,
    /// Title of the new document (required without `document`).
    pub title: Option<String>,
    /// The policy file (text, Markdown or HTML; UTF-8, UTF-16, Shift_JIS or EUC-JP), at most 8 MiB.
    pub file: Upload,
    /// For a new document: hide its text from coordinators and grantees without text access.
    pub unpublished: Option<bool>,
}

#[derive(SimpleObject)]
pub struct UploadVersionPayload {
    pub document: Document,
    pub version: Version,
    /// The analysis job of the version with the default edition.
    pub job: Option<AnalysisProgress>,
    /// False when the document already had a version with identical bytes.
    pub created: bool,
}

#[derive(Default)]
pub struct DocumentsMutation;

/// Reads an upload with a size bound, off the async threads.
async fn read_upload(ctx: &Context<'_>, file: &Upload) -> Result<(String, Vec<u8>)> {
    let value = file
        .value(ctx)
        .map_err(|_| error::invalid("アップロードされたファイルを読み込めません。"))?;
    let name = value.filename.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        value
            .into_read()
            .take(MAX_UPLOAD_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map(|_| out)
    })
    .await
    .map_err(|e| error::internal(&e))?
    .map_err(|_| error::invalid("アップロードされたファイルを読み込めません。"))?;
    // One byte past the bound is enough for the upload use-case to refuse it (INPUT_TOO_LARGE),
    // and to record the refusal in the audit log.
    Ok((name, bytes))
}

#[Object]
impl DocumentsMutation {
    /// Uploads a new version (unless identical to an existing one) and queues its analysis with the
    /// default edition. Admins and editors of the organisation only.
    async fn upload_version(
        &self,
        ctx: &Context<'_>,
        input: UploadVersionInput,
    ) -> Result<UploadVersionPayload> {
        let org = ids::decode::<OrgId>(&input.organisation)?;
        let document = match (&input.document, input.title) {
            (Some(d), _) => DocumentRef::Existing(ids::decode::<DocumentId>(d)?),
            // The title's rules (length, characters) are the upload use-case's.
            (None, Some(title)) if !title.trim().is_empty() => DocumentRef::New {
                title,
                unpublished: input.unpublished.unwrap_or(false),
            },
            _ => {
                return Err(error::invalid("document または title を指定してください。"));
            }
        };
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let (file_name, bytes) = read_upload(ctx, &input.file).await?;
        let services = rc.services();
        let documents = services.documents();
        let up = documents
            .upload_version(
                scope,
                app_docs::Upload {
                    org,
                    document,
                    bytes,
                    file_name: Some(file_name),
                },
                services.edition(),
            )
            .await
            .gql()?;
        let doc = documents.get(scope, up.document).await.gql()?;
        let version = documents.version(scope, up.version).await.gql()?;
        let job = services
            .progress()
            .get(scope, up.version, services.edition())
            .await
            .gql()?
            .map(AnalysisProgress::from);
        Ok(UploadVersionPayload {
            document: Document(doc),
            version: Version(version),
            job,
            created: up.created,
        })
    }

    /// Marks a document unpublished or published. Admins and editors of its organisation only.
    async fn set_document_unpublished(
        &self,
        ctx: &Context<'_>,
        document: ID,
        unpublished: bool,
    ) -> Result<Document> {
        let id = ids::decode::<DocumentId>(&document)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .documents()
            .set_unpublished(scope, id, unpublished)
            .await
            .gql()
            .map(Document)
    }

    /// Queues the analysis of a version with `edition` (default: the service's) unless it was
    /// queued before; its progress. Admins and editors only.
    async fn reanalyse(
        &self,
        ctx: &Context<'_>,
        version: ID,
        edition: Option<String>,
    ) -> Result<AnalysisProgress> {
        let id = ids::decode::<VersionId>(&version)?;
        let edition = edition_arg(ctx, edition.as_deref())?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .analyses()
            .reanalyse(scope, id, edition)
            .await
            .gql()
            .map(AnalysisProgress::from)
    }
}
