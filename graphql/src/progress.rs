//! `Subscription.analysisProgress`: one event on subscribe, one per change of state, stage,
//! percent, attempts or error; completes after DONE, FAILED or DEAD (or after 15 minutes). The
//! polling task stops as soon as the client goes away.

use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream;
use async_graphql::{Context, ID, Result, Subscription};
use taisho_app::progress::WatchOptions;
use taisho_domain::VersionId;

use crate::analyses::AnalysisProgress;
use crate::context::request;
use crate::documents::edition_arg;
use crate::error;
use crate::ids;

/// How often the subscription polls; tests may insert a shorter one into the schema data.
#[derive(Debug, Clone, Copy)]
pub struct ProgressPoll(pub WatchOptions);

#[derive(Default)]
pub struct ProgressSubscription;

#[Subscription]
impl ProgressSubscription {
    /// Progress of the analysis of `version` with `edition` (default: the service's).
    async fn analysis_progress(
        &self,
        ctx: &Context<'_>,
        version: ID,
        edition: Option<String>,
    ) -> Result<impl Stream<Item = Result<AnalysisProgress>> + use<>> {
        let version = ids::decode::<VersionId>(&version)?;
        let edition = edition_arg(ctx, edition.as_deref())?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?.clone();
        let options = ctx
            .data_opt::<ProgressPoll>()
            .map_or_else(WatchOptions::default, |p| p.0);
        let rx = rc
            .services()
            .progress()
            .watch(scope, version, edition, options);
        Ok(stream::unfold(rx, |mut rx| async move {
            let item = rx.recv().await?;
            Some((item.map(AnalysisProgress::from).map_err(error::app), rx))
        }))
    }
}
