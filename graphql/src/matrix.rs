//! The coordinator's matrix: bodies × model items with statuses, coverage per body and per item,
//! filterable by section, kind and status. One app call reads it
//! ([`taisho_app::matrix::Matrices::get`]); rows resolve their organisation and version through loaders.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use taisho_app::catalog::ItemFilter;
use taisho_app::matrix::{self as app, Matrix as AppMatrix, MatrixQuery as AppQuery};
use taisho_domain::OrgId;

use crate::accounts::Organisation;
use crate::analyses::FindingStatus;
use crate::catalog::ModelItemKind;
use crate::connection::{self, Page};
use crate::context::request;
use crate::documents::{Document, Version, edition_arg, load_document, load_version};
use crate::error::ResultExt;
use crate::ids;

/// A column: one model item with its coverage over the bodies.
pub struct MatrixItem {
    matrix: Arc<AppMatrix>,
    index: usize,
}

#[Object]
impl MatrixItem {
    async fn id(&self) -> &str {
        &self.matrix.items[self.index].id
    }

    async fn title(&self) -> &str {
        &self.matrix.items[self.index].title
    }

    async fn section(&self) -> &str {
        &self.matrix.items[self.index].section
    }

    async fn kind(&self) -> ModelItemKind {
        self.matrix.items[self.index].kind.into()
    }

    /// Covered / in scope (covered, weakened, omitted) over the bodies with an analysis; null when
    /// no body has the item in scope.
    async fn coverage(&self) -> Option<f64> {
        self.matrix.items[self.index].coverage
    }
}

/// One cell: the status of an item for a body (null: no analysis).
#[derive(SimpleObject, Debug, Clone)]
pub struct MatrixCell {
    pub item: String,
    pub status: Option<FindingStatus>,
}

/// A row: one document of a body with its latest analysed version, or a body without one.
pub struct MatrixRow {
    matrix: Arc<AppMatrix>,
    index: usize,
}

impl MatrixRow {
    fn row(&self) -> &app::MatrixBody {
        &self.matrix.rows[self.index]
    }
}

#[Object]
impl MatrixRow {
    /// The body (read with the matrix: no further query).
    async fn organisation(&self) -> Organisation {
        Organisation::new(self.row().organisation.clone())
    }

    /// The document (null when the body has no analysed document).
    async fn document(&self, ctx: &Context<'_>) -> Result<Option<Document>> {
        match self.row().document {
            Some(d) => load_document(ctx, d).await,
            None => Ok(None),
        }
    }

    /// The analysed version (null when the body has none).
    async fn version(&self, ctx: &Context<'_>) -> Result<Option<Version>> {
        match self.row().version {
            Some(v) => load_version(ctx, v).await,
            None => Ok(None),
        }
    }

    /// The analysis' id (null when the body has none).
    async fn analysis_id(&self) -> Option<ID> {
        self.row().analysis.map(ids::id)
    }

    /// Covered / in scope over the matrix items; null without an analysis.
    async fn coverage(&self) -> Option<f64> {
        self.row().coverage
    }

    /// One letter per matrix item in `items` order: C covered, W weakened, O omitted, S out of
    /// scope, - no analysis.
    async fn statuses(&self) -> &str {
        &self.row().statuses
    }

    /// The same as `statuses`, one object per item.
    // In memory, no I/O: counted once (not per element), so whole tables fit the limit; the
    // `matrix` field itself costs `limits::TABLE_COST`.
    async fn cells(&self) -> Vec<MatrixCell> {
        self.matrix
            .items
            .iter()
            .zip(self.row().cells())
            .map(|(i, s)| MatrixCell {
                item: i.id.clone(),
                status: s.map(Into::into),
            })
            .collect()
    }
}

/// Bodies × model items.
pub struct Matrix(pub Arc<AppMatrix>);

#[Object]
impl Matrix {
    /// The model edition (`R5.3`).
    async fn edition(&self) -> String {
        self.0.edition.to_string()
    }

    /// The columns, in model order.
    // In memory, no I/O: counted once (not per element), so whole tables fit the limit; the
    // `matrix` field itself costs `limits::TABLE_COST`.
    async fn items(&self) -> Vec<MatrixItem> {
        (0..self.0.items.len())
            .map(|index| MatrixItem {
                matrix: Arc::clone(&self.0),
                index,
            })
            .collect()
    }

    /// The rows, by organisation name.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn rows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<MatrixRow>> {
        let rows = (0..self.0.rows.len())
            .map(|index| MatrixRow {
                matrix: Arc::clone(&self.0),
                index,
            })
            .collect();
        connection::from_vec(ctx, first, after, rows)
    }
}

#[derive(Default)]
pub struct MatrixQuery;

#[Object]
impl MatrixQuery {
    /// The matrix of a prefecture's member bodies, or of a set of organisations the caller reads
    /// (both: those organisations, which must be members of the prefecture; neither: every
    /// municipality and union the caller reads). `status` keeps the items that at least one body
    /// has with that status. A prefecture or organisation the caller cannot read: `NOT_FOUND`.
    #[expect(
        clippy::too_many_arguments,
        reason = "a resolver takes one parameter per GraphQL argument"
    )]
    #[graphql(complexity = "crate::limits::TABLE_COST + child_complexity")]
    async fn matrix(
        &self,
        ctx: &Context<'_>,
        prefecture: Option<ID>,
        organisations: Option<Vec<ID>>,
        edition: Option<String>,
        section: Option<String>,
        kind: Option<ModelItemKind>,
        status: Option<FindingStatus>,
    ) -> Result<Matrix> {
        let prefecture = prefecture.map(|p| ids::decode::<OrgId>(&p)).transpose()?;
        let organisations = match organisations {
            Some(list) => {
                if list.len() > 1000 {
                    return Err(crate::error::too_complex(
                        "一度に指定できる団体は1000までです。",
                    ));
                }
                Some(
                    list.iter()
                        .map(ids::decode::<OrgId>)
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            None => None,
        };
        let edition = edition_arg(ctx, edition.as_deref())?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let query = AppQuery {
            prefecture,
            organisations,
            filter: ItemFilter {
                section,
                kind: kind.map(Into::into),
            },
            status: status.map(Into::into),
        };
        let m = rc
            .services()
            .matrix()
            .get(scope, &query, edition)
            .await
            .gql()?;
        Ok(Matrix(m))
    }
}
