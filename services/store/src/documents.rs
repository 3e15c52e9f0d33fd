//! Documents and their immutable versions.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use taisho_domain::{DocumentId, OrgId, UserId, VersionId};

use crate::entity::{content, document, version};
use crate::error::{Result, StoreError, write_err};
use crate::model::{Document, Layers, NewVersion, Version};
use crate::store::{Backend, Tx};

fn to_document(m: document::Model) -> Document {
    Document {
        id: DocumentId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        title: m.title,
        unpublished: m.unpublished,
        created_at: m.created_at,
    }
}

fn to_version(m: version::Model) -> Result<Version> {
    Ok(Version {
        id: VersionId::from_uuid(m.id),
        document_id: DocumentId::from_uuid(m.document_id),
        org_id: OrgId::from_uuid(m.org_id),
        seq: m.seq,
        content_hash: m.content_hash,
        byte_len: m.byte_len,
        encoding: m.encoding,
        format: m.format,
        layers: Layers::parse(&m.layers)?,
        uploaded_by: m.uploaded_by.map(UserId::from_uuid),
        created_at: m.created_at,
    })
}

/// NotFound when the scope cannot read `org`, Forbidden when it reads but may not write.
pub(crate) fn check_write(tx: &Tx, org: OrgId) -> Result<()> {
    let scope = tx.scope();
    if !tx.app_allows(scope.can_read(org)) {
        return Err(StoreError::NotFound);
    }
    if !tx.app_allows(scope.can_write(org)) {
        return Err(StoreError::Forbidden);
    }
    Ok(())
}

pub async fn create(tx: &Tx, org: OrgId, title: &str, unpublished: bool) -> Result<Document> {
    check_write(tx, org)?;
    let title = title.trim();
    if title.is_empty() {
        return Err(StoreError::Invalid("empty document title".into()));
    }
    let m = document::ActiveModel {
        id: Set(DocumentId::new().as_uuid()),
        org_id: Set(org.as_uuid()),
        title: Set(title.to_owned()),
        unpublished: Set(unpublished),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    Ok(to_document(m))
}

async fn find(tx: &Tx, id: DocumentId, lock: bool) -> Result<document::Model> {
    let mut q = document::Entity::find_by_id(id.as_uuid());
    if lock && tx.backend() == Backend::Postgres {
        // Serialises uploads of one document so `seq` is assigned without gaps or collisions.
        // NO KEY UPDATE, not UPDATE: rows that reference the document (a worker recording an
        // analysis) take KEY SHARE for their foreign key, and must not wait on an upload that is
        // itself waiting on their job row (that cycle was a deadlock).
        q = q.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
    }
    let m = q
        .one(tx.conn())
        .await
        .map_err(write_err)?
        .ok_or(StoreError::NotFound)?;
    if !tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))) {
        return Err(StoreError::NotFound);
    }
    Ok(m)
}

pub async fn get(tx: &Tx, id: DocumentId) -> Result<Document> {
    find(tx, id, false).await.map(to_document)
}

/// The documents of `org`, oldest first. NotFound when the scope cannot read `org`.
pub async fn list(tx: &Tx, org: OrgId) -> Result<Vec<Document>> {
    if !tx.app_allows(tx.scope().can_read(org)) {
        return Err(StoreError::NotFound);
    }
    Ok(document::Entity::find()
        .filter(document::Column::OrgId.eq(org.as_uuid()))
        .order_by_asc(document::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_document)
        .collect())
}

/// Marks a document unpublished (coordinators then see statuses but not text) or published. Members
/// of the document's organisation with write access only (not grantees): others get Forbidden.
pub async fn set_unpublished(tx: &Tx, id: DocumentId, unpublished: bool) -> Result<Document> {
    let m = find(tx, id, false).await?;
    let org = OrgId::from_uuid(m.org_id);
    check_write(tx, org)?;
    // Publication is the organisation's own decision: a write grant (which may come without text
    // access) must not open the text it was not given.
    if !tx.app_allows(tx.scope().can_write_own(org)) {
        return Err(StoreError::Forbidden);
    }
    let mut am: document::ActiveModel = m.into();
    am.unpublished = Set(unpublished);
    let m = am.update(tx.conn()).await.map_err(|e| match e {
        // RLS hides the row from UPDATE: sea-orm reports "none updated".
        sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
        e => write_err(e),
    })?;
    Ok(to_document(m))
}

/// Lowercase hex SHA-256 of the original bytes: the identity of a version's content.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Adds a version unless the document already has one with identical bytes; returns the version and
/// whether it was created. Call in a [`crate::Mode::Write`] transaction (SQLite takes the write lock
/// at `BEGIN`; PostgreSQL locks the document row).
pub async fn add_version(
    tx: &Tx,
    document: DocumentId,
    new: NewVersion,
) -> Result<(Version, bool)> {
    let doc = find(tx, document, false).await?;
    let org = OrgId::from_uuid(doc.org_id);
    check_write(tx, org)?;
    if tx.backend() == Backend::Postgres {
        find(tx, document, true).await?;
    }
    if new.original.is_empty() {
        return Err(StoreError::Invalid("empty version".into()));
    }
    let hash = content_hash(&new.original);
    if let Some(existing) = version::Entity::find()
        .filter(version::Column::DocumentId.eq(doc.id))
        .filter(version::Column::ContentHash.eq(hash.as_str()))
        .one(tx.conn())
        .await?
    {
        return Ok((to_version(existing)?, false));
    }
    let last: Option<i32> = version::Entity::find()
        .select_only()
        .column_as(version::Column::Seq.max(), "max_seq")
        .filter(version::Column::DocumentId.eq(doc.id))
        .into_tuple::<Option<i32>>()
        .one(tx.conn())
        .await?
        .flatten();
    let id = VersionId::new();
    let byte_len = i64::try_from(new.original.len())
        .map_err(|_| StoreError::Invalid("version too large".into()))?;
    let m = version::ActiveModel {
        id: Set(id.as_uuid()),
        document_id: Set(doc.id),
        org_id: Set(doc.org_id),
        seq: Set(last.unwrap_or(0) + 1),
        content_hash: Set(hash),
        byte_len: Set(byte_len),
        encoding: Set(new.encoding),
        format: Set(new.format),
        layers: Set(new.layers.as_str().to_owned()),
        uploaded_by: Set(tx.scope().user().map(|u| u.as_uuid())),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    content::ActiveModel {
        version_id: Set(id.as_uuid()),
        document_id: Set(doc.id),
        org_id: Set(doc.org_id),
        original: Set(new.original),
        text: Set(new.text),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    Ok((to_version(m)?, true))
}

async fn find_version(tx: &Tx, id: VersionId) -> Result<version::Model> {
    let m = version::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    if !tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))) {
        return Err(StoreError::NotFound);
    }
    Ok(m)
}

pub async fn get_version(tx: &Tx, id: VersionId) -> Result<Version> {
    to_version(find_version(tx, id).await?)
}

/// The versions of a document, oldest first.
pub async fn list_versions(tx: &Tx, document: DocumentId) -> Result<Vec<Version>> {
    let doc = find(tx, document, false).await?;
    version::Entity::find()
        .filter(version::Column::DocumentId.eq(doc.id))
        .order_by_asc(version::Column::Seq)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_version)
        .collect()
}

/// Text and original bytes need text access: own organisations and grants with text access see
/// all documents; coordinators and other grantees only those not marked unpublished. Withheld text
/// is NotFound, like a missing version (RLS gives the same answer on PostgreSQL).
async fn find_content(tx: &Tx, id: VersionId) -> Result<content::Model> {
    let v = find_version(tx, id).await?;
    let doc = find(tx, DocumentId::from_uuid(v.document_id), false).await?;
    if !tx.app_allows(
        tx.scope()
            .can_read_text(OrgId::from_uuid(v.org_id), doc.unpublished),
    ) {
        return Err(StoreError::NotFound);
    }
    content::Entity::find_by_id(v.id)
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)
}

/// The unchanged uploaded bytes.
pub async fn original(tx: &Tx, id: VersionId) -> Result<Vec<u8>> {
    Ok(find_content(tx, id).await?.original)
}

/// The decoded text.
pub async fn text(tx: &Tx, id: VersionId) -> Result<String> {
    Ok(find_content(tx, id).await?.text)
}

/// Documents by id (one query; foreign or missing ids are simply absent).
pub async fn get_many(tx: &Tx, ids: &[DocumentId]) -> Result<Vec<Document>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = ids.iter().map(taisho_domain::DocumentId::as_uuid).collect();
    Ok(document::Entity::find()
        .filter(document::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .filter(|m| tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))))
        .map(to_document)
        .collect())
}

/// Versions by id (one query; foreign or missing ids are simply absent).
pub async fn get_versions(tx: &Tx, ids: &[VersionId]) -> Result<Vec<Version>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = ids.iter().map(taisho_domain::VersionId::as_uuid).collect();
    version::Entity::find()
        .filter(version::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .filter(|m| tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))))
        .map(to_version)
        .collect()
}

/// The versions of several documents (one query), ordered by document then `seq`; documents the
/// scope cannot read contribute nothing.
pub async fn versions_of(tx: &Tx, documents: &[DocumentId]) -> Result<Vec<Version>> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = documents
        .iter()
        .map(taisho_domain::DocumentId::as_uuid)
        .collect();
    version::Entity::find()
        .filter(version::Column::DocumentId.is_in(ids))
        .order_by_asc(version::Column::DocumentId)
        .order_by_asc(version::Column::Seq)
        .all(tx.conn())
        .await?
        .into_iter()
        .filter(|m| tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))))
        .map(to_version)
        .collect()
}

/// The documents of several organisations (one query), oldest first; organisations the scope
/// cannot read contribute nothing.
pub async fn list_many(tx: &Tx, orgs: &[OrgId]) -> Result<Vec<Document>> {
    let orgs: Vec<uuid::Uuid> = orgs
        .iter()
        .filter(|o| tx.app_allows(tx.scope().can_read(**o)))
        .map(taisho_domain::OrgId::as_uuid)
        .collect();
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(document::Entity::find()
        .filter(document::Column::OrgId.is_in(orgs))
        .order_by_asc(document::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_document)
        .collect())
}
