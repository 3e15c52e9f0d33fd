//! `taisho import`: an operator loads real policy files for one organisation.
//!
//! Each file goes through [`upload_version`] as the organisation's system import principal
//! (`Principal::Worker { org }`: read, write and text of that one organisation, no user, so
//! `uploaded_by` stays empty). An operator with database access needs no account of the body, and
//! the principal can touch nothing but the named organisation. The document is the organisation's
//! document titled with the file's stem, so importing the same files again changes nothing.

use std::path::{Path, PathBuf};

use taisho_domain::OrgId;
use taisho_guideline::EditionId;
use taisho_store::{Mode, Principal, Store, provision, scope_for};

use crate::documents::{DocumentRef, Upload, Uploaded, upload_version};
use crate::error::{AppError, Result};

/// What happened to one file.
#[derive(Debug)]
pub enum Outcome {
    New(Uploaded),
    Unchanged(Uploaded),
    Failed(AppError),
}

#[derive(Debug)]
pub struct Imported {
    pub path: PathBuf,
    pub outcome: Outcome,
}

impl Imported {
    /// One line for the operator (no document text).
    pub fn line(&self) -> String {
        let p = self.path.display();
        match &self.outcome {
            Outcome::New(u) => format!(
                "{p}: new version {} (#{}, {}), analysis job {}",
                u.version,
                u.seq,
                u.layers.as_str(),
                u.job
            ),
            Outcome::Unchanged(u) => format!("{p}: unchanged (version {} #{})", u.version, u.seq),
            Outcome::Failed(e) => format!("{p}: error [{}] {e}", e.code().as_str()),
        }
    }
}

/// The organisation named by `arg`: its id, or its exact name (which must be unique). An operator
/// command: the look-up runs in the system scope.
pub async fn resolve_org(store: &Store, arg: &str) -> Result<OrgId> {
    let arg = arg.trim();
    let tx = store.begin_system(Mode::Read).await?;
    let found = provision::find_organisations(&tx, arg).await?;
    tx.rollback().await?;
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(AppError::Invalid(format!("organisation {arg:?} not found"))),
        _ => Err(AppError::Invalid(format!(
            "several organisations are named {arg:?}: pass the id"
        ))),
    }
}

/// The files to import: files as given, directories expanded to their regular files (sorted, not
/// recursive, skipping hidden files and `README*`, which describe a directory rather than being a
/// policy).
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    !name.starts_with('.') && !name.starts_with("README")
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn title_of(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map_or_else(|| path.display().to_string(), str::to_owned)
}

/// Imports `files` for `org`, one upload each, continuing past failures; `each` sees every result
/// as it happens.
pub async fn import_files(
    store: &Store,
    org: OrgId,
    files: &[PathBuf],
    edition: EditionId,
    mut each: impl FnMut(&Imported),
) -> Result<Vec<Imported>> {
    let scope = scope_for(&Principal::Worker { org }, store).await?;
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let limit = taisho_engine::Limits::default().max_input_bytes;
        let outcome = match std::fs::metadata(path).and_then(|m| {
            // Refused before reading, so a huge file never lands in memory.
            if m.len() > limit as u64 {
                Ok(Err(m.len()))
            } else {
                std::fs::read(path).map(Ok)
            }
        }) {
            Err(e) => Outcome::Failed(AppError::Invalid(format!("cannot read the file: {e}"))),
            Ok(Err(size)) => Outcome::Failed(AppError::Document(
                taisho_engine::EngineError::InputTooLarge {
                    size: usize::try_from(size).unwrap_or(usize::MAX),
                    limit,
                },
            )),
            Ok(Ok(bytes)) => {
                let upload = Upload {
                    org,
                    document: DocumentRef::ByTitle(title_of(path)),
                    bytes,
                    file_name: path.file_name().and_then(|n| n.to_str()).map(str::to_owned),
                };
                match upload_version(store, &scope, upload, edition).await {
                    Ok(u) if u.created => Outcome::New(u),
                    Ok(u) => Outcome::Unchanged(u),
                    Err(e) => Outcome::Failed(e),
                }
            }
        };
        let imported = Imported {
            path: path.clone(),
            outcome,
        };
        each(&imported);
        out.push(imported);
    }
    Ok(out)
}
