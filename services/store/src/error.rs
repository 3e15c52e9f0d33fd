use sea_orm::DbErr;

/// Errors of the store. A tenant id the scope may not see is [`StoreError::NotFound`], exactly like an
/// id that does not exist, so callers cannot probe for other tenants' ids.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The object is visible but the scope may not change it (read-only access).
    #[error("write access required")]
    Forbidden,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("unsupported database URL (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    #[error(
        "the database schema is not migrated: pending migrations {}; run `taisho migrate`",
        .0.join(", ")
    )]
    PendingMigrations(Vec<String>),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    pub fn code(&self) -> taisho_domain::ErrorCode {
        use taisho_domain::ErrorCode;
        match self {
            StoreError::NotFound => ErrorCode::NotFound,
            // Only raised for objects the scope can read, so naming the refusal reveals nothing.
            StoreError::Forbidden => ErrorCode::Forbidden,
            StoreError::Invalid(_) => ErrorCode::InvalidArgument,
            StoreError::Db(e) if is_unavailable(e) => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }

    /// Whether the database could not be reached (down, restarting, refusing connections, pool
    /// exhausted): a retryable condition, not a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(e) if is_unavailable(e))
    }
}

/// Connection failures of `e`: sea-orm's connection errors, sqlx's I/O, TLS, protocol and pool
/// errors, and PostgreSQL's connection exceptions (SQLSTATE class 08) and shutdowns (57P01–57P03).
fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;

    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            match &**inner {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|c| {
                    c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Maps a failed tenant write: a row-level security refusal (SQLSTATE 42501) and a foreign key to a
/// missing row both mean "no such object you may use", so both are [`StoreError::NotFound`] and a
/// foreign id cannot be told apart from a missing one.
pub(crate) fn write_err(e: DbErr) -> StoreError {
    if matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        return StoreError::NotFound;
    }
    if sqlstate(&e).as_deref() == Some("42501") {
        return StoreError::NotFound;
    }
    StoreError::Db(e)
}

pub(crate) fn sqlstate(e: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;

    match e {
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            match &**inner {
                sea_orm::sqlx::Error::Database(db) => db.code().map(std::borrow::Cow::into_owned),
                _ => None,
            }
        }
        _ => None,
    }
}
