//! Relay connections with forward paging (`first`, `after`) and `totalCount`.
//!
//! ```ignore
//! async fn things(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>)
//!     -> Result<Page<Thing>> {
//!     let all: Vec<Thing> = …;                    // or an offset/limit query with PageArgs
//!     connection::from_vec(ctx, first, after, all)
//! }
//! ```
//!
//! `first` defaults to [`DEFAULT_PAGE_SIZE`]; above the schema's `max_page_size` it is
//! `QUERY_TOO_COMPLEX` (checked before execution by [`crate::limits`], and again here); below 0 it
//! is `INVALID_ARGUMENT`. Cursors are opaque offsets. Give every connection field the complexity
//! `crate::limits::list_cost(first, child_complexity)` so nested lists multiply.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, OutputType, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Fields every connection has besides `edges`, `nodes` and `pageInfo`.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct PageTotals {
    /// Number of items in the whole list (all pages).
    pub total_count: u64,
}

/// An opaque cursor: the item's offset in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor(pub usize);

impl CursorType for PageCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        const BAD: &str = "invalid cursor";
        if s.len() > 64 {
            return Err(BAD);
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| BAD)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| BAD)?;
        let n = text.strip_prefix("o:").ok_or(BAD)?;
        n.parse().map(PageCursor).map_err(|_| BAD)
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("o:{}", self.0))
    }
}

/// A page of `N`.
pub type Page<N> = Connection<PageCursor, N, PageTotals>;

/// Offset and limit of the page a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageArgs {
    pub offset: usize,
    pub limit: usize,
}

impl PageArgs {
    /// Reads `first`/`after` against the schema's page size limit.
    pub fn parse(
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<PageArgs> {
        let max = ctx
            .data_opt::<crate::SchemaConfig>()
            .map_or(crate::SchemaConfig::default().max_page_size, |c| {
                c.max_page_size
            });
        PageArgs::parse_with(max, first, after.as_deref())
    }

    pub fn parse_with(
        max_page_size: usize,
        first: Option<i32>,
        after: Option<&str>,
    ) -> async_graphql::Result<PageArgs> {
        let limit = match first {
            None => DEFAULT_PAGE_SIZE.min(max_page_size),
            Some(n) if n < 0 => {
                return Err(error::invalid("first には 0 以上の値を指定してください。"));
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        if limit > max_page_size {
            return Err(error::too_complex(format!(
                "一度に取得できるのは{max_page_size}件までです。"
            )));
        }
        let offset = match after {
            None => 0,
            Some(c) => PageCursor::decode_cursor(c)
                .map_err(|_| error::invalid("カーソルの形式が正しくありません。"))?
                .0
                .saturating_add(1),
        };
        Ok(PageArgs { offset, limit })
    }
}

/// The page at `args` of a list of `total` items whose items from `args.offset` on are `nodes` (at
/// most `args.limit` of them are used).
pub fn page<N: OutputType>(
    args: PageArgs,
    total: usize,
    nodes: impl IntoIterator<Item = N>,
) -> Page<N> {
    let end = args.offset.saturating_add(args.limit).min(total);
    let mut connection = Connection::with_additional_fields(
        args.offset > 0,
        end < total,
        PageTotals {
            total_count: total as u64,
        },
    );
    connection.edges.extend(
        nodes
            .into_iter()
            .take(args.limit)
            .enumerate()
            .map(|(i, node)| Edge::new(PageCursor(args.offset + i), node)),
    );
    connection
}

/// A page of an in-memory list.
pub fn from_vec<N: OutputType>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    items: Vec<N>,
) -> async_graphql::Result<Page<N>> {
    let args = PageArgs::parse(ctx, first, after)?;
    let total = items.len();
    Ok(page(args, total, items.into_iter().skip(args.offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = PageCursor(41).encode_cursor();
        assert_eq!(PageCursor::decode_cursor(&c), Ok(PageCursor(41)));
        for bad in ["", "o:1", "bzp4", "!!", &"A".repeat(100)] {
            assert!(PageCursor::decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_args_enforce_the_limit() {
        assert_eq!(
            PageArgs::parse_with(100, None, None).unwrap(),
            PageArgs {
                offset: 0,
                limit: 20
            }
        );
        assert!(PageArgs::parse_with(100, Some(101), None).is_err());
        assert!(PageArgs::parse_with(100, Some(-1), None).is_err());
        let after = PageCursor(9).encode_cursor();
        assert_eq!(
            PageArgs::parse_with(100, Some(5), Some(&after)).unwrap(),
            PageArgs {
                offset: 10,
                limit: 5
            }
        );
    }
}
