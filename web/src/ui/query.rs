//! `/graphiql`: the GraphQL query page. It replaces GraphiQL, whose scripts came from a CDN and
//! never loaded on terminals without internet: a form, a few examples and one small embedded
//! script that posts to `/graphql` with the browser's session (or an API key typed in).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::format::Chrome;
use super::{SignedIn, WebError, assets, page};

/// The query page's policy: every page's ([`super::CSP`]), which allows this server's scripts and
/// `fetch` to itself.
pub const QUERY_CSP: &str = super::CSP;

struct Example {
    title: &'static str,
    query: &'static str,
    variables: &'static str,
}

const EXAMPLES: [Example; 4] = [
    Example {
        title: "自分と所属団体",
        query: "{\n  viewer {\n    user { displayName }\n    actingOrganisation { id name kind }\n    role\n  }\n}",
        variables: "",
    },
    Example {
        title: "読める団体の一覧",
        query: "{\n  organisations(first: 20) {\n    nodes { id name kind }\n  }\n}",
        variables: "",
    },
    Example {
        title: "例文の版",
        query: "{\n  editions { id title date }\n}",
        variables: "",
    },
    Example {
        title: "都道府県の点検表（基本方針）",
        query: "query ($prefecture: ID!) {\n  matrix(prefecture: $prefecture, section: \"KH\") {\n    edition\n    items { id title coverage }\n    rows(first: 100) { nodes { organisation { name } coverage } }\n  }\n}",
        variables: "{\"prefecture\": \"（団体の一覧で得た都道府県の id）\"}",
    },
];

#[derive(Template)]
#[template(path = "ui/query.html")]
struct QueryPage {
    css: &'static str,
    script: &'static str,
    chrome: Option<Chrome>,
    examples: &'static [Example],
    initial: &'static str,
}

/// The page, for anyone who can reach it (the server serves it outside production only; what a
/// query may read is the API's business).
pub async fn query_page(signed: Option<SignedIn>) -> Result<HttpResponse, WebError> {
    let body = QueryPage {
        css: assets::css_path(),
        script: assets::query_script_path(),
        chrome: signed.as_ref().map(SignedIn::chrome),
        examples: &EXAMPLES,
        initial: EXAMPLES[0].query,
    }
    .render()?;
    Ok(page(StatusCode::OK, body))
}
