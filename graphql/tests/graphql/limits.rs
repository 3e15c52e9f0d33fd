//! Limits: a query over any of them is refused with QUERY_TOO_COMPLEX before any resolver runs.
//!
//! The schema here runs on an empty, unmigrated in-memory database and the callers are anonymous,
//! so any resolver that ran would answer UNAUTHENTICATED (and any store access would fail): a
//! response whose only error is the limit's, with no data, shows that nothing was resolved.

use serde_json::{Value, json};
use taisho_app::auth::Caller;
use taisho_graphql::{Api, SchemaConfig};

use super::*;

async fn schema(config: SchemaConfig) -> Api {
    let store = Store::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    taisho_graphql::build(services(&store), config)
}

/// Asserts the request was refused with `expected` before execution.
fn refused(response: &Value, expected: &str) {
    assert_eq!(codes(response), [expected], "{response:#}");
    assert_eq!(response["data"], json!(null), "{response:#}");
    let text = response.to_string();
    for leak in ["SELECT", "sqlite", "/src/", "panicked", "backtrace"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

async fn anonymous(schema: &Api, query: &str, variables: Value) -> Value {
    run(schema, &Caller::anonymous(), query, variables).await
}

#[tokio::test]
async fn a_query_within_the_limits_reaches_the_resolvers() {
    let s = schema(SchemaConfig::default()).await;
    let r = anonymous(&s, "{ viewer { role } }", json!({})).await;
    // The resolver ran (and refused the anonymous caller): the probe below is meaningful.
    assert_eq!(codes(&r), ["UNAUTHENTICATED"], "{r:#}");
}

#[tokio::test]
async fn too_deep_queries_are_refused() {
    let s = schema(SchemaConfig::default()).await;
    let mut q = String::from("{ viewer { actingOrganisation ");
    for _ in 0..14 {
        q.push_str("{ prefecture ");
    }
    q.push_str("{ id }");
    q.push_str(&"}".repeat(14));
    q.push_str(" } }");
    refused(&anonymous(&s, &q, json!({})).await, "QUERY_TOO_COMPLEX");
    // Deeper than the parser's recursion limit: refused as well, never a stack overflow.
    let deep = format!(
        "{{ viewer {}{} }}",
        "{ actingOrganisation ".repeat(5000),
        "}".repeat(5000)
    );
    let r = anonymous(&s, &deep, json!({})).await;
    assert_eq!(r["data"], json!(null));
    assert!(
        !codes(&r).is_empty()
            && codes(&r)
                .iter()
                .all(|c| c == "QUERY_TOO_COMPLEX" || c == "BAD_REQUEST"),
        "{r:#}"
    );
}

#[tokio::test]
async fn complexity_counts_page_sizes_of_nested_lists() {
    let s = schema(SchemaConfig::default()).await;
    // 100 organisations × 100 memberships × 2 fields: far beyond 2000 although shallow and short.
    let q = "{ organisations(first: 100) { nodes { memberships(first: 100) { nodes { role user { email } } } } } }";
    refused(&anonymous(&s, q, json!({})).await, "QUERY_TOO_COMPLEX");
    // The same shape with small pages passes the limits (and reaches the resolvers).
    let q = "{ organisations(first: 5) { nodes { memberships(first: 5) { nodes { role user { email } } } } } }";
    assert_eq!(
        codes(&anonymous(&s, q, json!({})).await),
        ["UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let s = schema(SchemaConfig::default()).await;
    let fields: String = (0..31)
        .map(|i| format!(" a{i}: viewer {{ role }}"))
        .collect();
    refused(
        &anonymous(&s, &format!("{{{fields} }}"), json!({})).await,
        "QUERY_TOO_COMPLEX",
    );
    // Alias fan-out hidden in a fragment spread many times counts every expansion.
    let frag: String = (0..4)
        .map(|i| format!(" b{i}: viewer {{ role }}"))
        .collect();
    let spreads = " ...F".repeat(10);
    let q = format!("query {{ {spreads} }} fragment F on QueryRoot {{{frag} }}");
    refused(&anonymous(&s, &q, json!({})).await, "QUERY_TOO_COMPLEX");
    let ok: String = (0..30)
        .map(|i| format!(" a{i}: viewer {{ role }}"))
        .collect();
    let r = anonymous(&s, &format!("{{{ok} }}"), json!({})).await;
    assert!(codes(&r).iter().all(|c| c == "UNAUTHENTICATED"), "{r:#}");
}

#[tokio::test]
async fn too_many_fields_are_refused() {
    let s = schema(SchemaConfig::default()).await;
    let fields = " __typename".repeat(2100);
    refused(
        &anonymous(&s, &format!("{{{fields} }}"), json!({})).await,
        "QUERY_TOO_COMPLEX",
    );
    // Exponential fragment nesting is cut off at the limit, not expanded.
    let mut q = String::from("query { ...F0 }");
    for i in 0..30 {
        q.push_str(&format!(
            " fragment F{i} on QueryRoot {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    q.push_str(" fragment F30 on QueryRoot { __typename }");
    let started = std::time::Instant::now();
    refused(&anonymous(&s, &q, json!({})).await, "QUERY_TOO_COMPLEX");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn pages_above_the_maximum_are_refused_literal_or_variable() {
    let s = schema(SchemaConfig::default()).await;
    refused(
        &anonymous(
            &s,
            "{ organisations(first: 101) { totalCount } }",
            json!({}),
        )
        .await,
        "QUERY_TOO_COMPLEX",
    );
    let q = "query($n: Int) { viewer { readableOrganisations(first: $n) { totalCount } } }";
    refused(
        &anonymous(&s, q, json!({ "n": 1000 })).await,
        "QUERY_TOO_COMPLEX",
    );
    let small = schema(SchemaConfig {
        max_page_size: 10,
        ..SchemaConfig::default()
    })
    .await;
    refused(
        &anonymous(
            &small,
            "{ organisations(first: 11) { totalCount } }",
            json!({}),
        )
        .await,
        "QUERY_TOO_COMPLEX",
    );
    assert_eq!(
        codes(
            &anonymous(
                &small,
                "{ organisations(first: 10) { totalCount } }",
                json!({})
            )
            .await
        ),
        ["UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn malformed_queries_and_fragment_cycles_are_bad_requests() {
    let s = schema(SchemaConfig::default()).await;
    for q in [
        "{ viewer { role }",
        "{ nope }",
        "query A { viewer { role } } query B { viewer { role } }",
        "",
    ] {
        let r = anonymous(&s, q, json!({})).await;
        refused(&r, "BAD_REQUEST");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("要求の形式が正しくありません。"),
            "{r:#}"
        );
    }
    // A fragment cycle is refused before execution (by the cycle rule or the limits).
    let r = anonymous(
        &s,
        "query { ...A } fragment A on QueryRoot { viewer { role } ...B } fragment B on QueryRoot { ...A }",
        json!({}),
    )
    .await;
    assert_eq!(r["data"], json!(null), "{r:#}");
    assert!(!codes(&r).is_empty(), "{r:#}");
    assert!(
        codes(&r)
            .iter()
            .all(|c| c == "BAD_REQUEST" || c == "QUERY_TOO_COMPLEX"),
        "{r:#}"
    );
}

#[tokio::test]
async fn introspection_is_refused_to_browser_sessions_in_production_only() {
    let q = "{ __schema { queryType { name } } }";
    let session = Caller::session(taisho_domain::UserId::new(), taisho_domain::OrgId::new());
    let key = Caller::api_key(taisho_domain::ApiKeyId::new(), taisho_domain::OrgId::new());
    let production = schema(SchemaConfig {
        production: true,
        ..SchemaConfig::default()
    })
    .await;
    refused(&run(&production, &session, q, json!({})).await, "FORBIDDEN");
    refused(
        &run(
            &production,
            &session,
            "{ __type(name: \"Viewer\") { name } }",
            json!({}),
        )
        .await,
        "FORBIDDEN",
    );
    let r = run(&production, &key, q, json!({})).await;
    assert_eq!(
        r["data"]["__schema"]["queryType"]["name"],
        json!("QueryRoot"),
        "{r:#}"
    );
    let development = schema(SchemaConfig::default()).await;
    let r = run(&development, &session, q, json!({})).await;
    assert_eq!(
        r["data"]["__schema"]["queryType"]["name"],
        json!("QueryRoot"),
        "{r:#}"
    );
}

#[tokio::test]
async fn unexpected_errors_show_the_generic_message_and_no_cause() {
    // An unmigrated database: resolving the caller's scope fails with an SQL error.
    let s = schema(SchemaConfig::default()).await;
    let key = Caller::api_key(taisho_domain::ApiKeyId::new(), taisho_domain::OrgId::new());
    let r = run(
        &s,
        &key,
        "{ viewer { role } organisations { totalCount } }",
        json!({}),
    )
    .await;
    assert!(!codes(&r).is_empty(), "{r:#}");
    assert!(codes(&r).iter().all(|c| c == "INTERNAL"), "{r:#}");
    for e in r["errors"].as_array().unwrap() {
        assert_eq!(e["message"], json!("内部エラーが発生しました。"), "{r:#}");
    }
    let text = r.to_string();
    for leak in ["no such table", "api_keys", "SELECT", "sqlite", "Db("] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test]
async fn missing_or_null_required_variables_are_bad_requests_before_execution() {
    let s = schema(SchemaConfig::default()).await;
    let q = "query($o: ID!) { organisation(id: $o) { id } }";
    for (variables, message) in [
        (json!({}), "必須の変数 $o が指定されていません。"),
        (
            json!({ "o": null }),
            "必須の変数 $o に null は指定できません。",
        ),
    ] {
        let r = anonymous(&s, q, variables).await;
        refused(&r, "BAD_REQUEST");
        assert_eq!(r["errors"][0]["message"], json!(message), "{r:#}");
    }
    // A required input object too, and a nullable or defaulted variable may be left out.
    let r = anonymous(
        &s,
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
        json!({}),
    )
    .await;
    refused(&r, "BAD_REQUEST");
    for q in [
        "query($n: Int) { organisations(first: $n) { totalCount } }",
        "query($n: Int! = 5) { organisations(first: $n) { totalCount } }",
    ] {
        let r = anonymous(&s, q, json!({})).await;
        assert_eq!(codes(&r), ["UNAUTHENTICATED"], "{r:#}");
    }
}

#[tokio::test]
async fn query_texts_over_the_size_token_or_nesting_limits_are_refused_before_parsing() {
    let s = schema(SchemaConfig::default()).await;
    // 40 KiB: a valid query padded by a comment (it would parse and run).
    let long = format!("{{ viewer {{ role }} }} #{}", "x".repeat(40 * 1024));
    let r = anonymous(&s, &long, json!({})).await;
    refused(&r, "QUERY_TOO_COMPLEX");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("32768")),
        "{r:#}"
    );
    // 4,500 tokens in 14 KiB: under the size limit, over the token budget.
    let ids: String = (0..4500).map(|_| "\"x\" ").collect();
    let q = format!("{{ matrix(organisations: [{ids}]) {{ edition }} }}");
    assert!(q.len() < 32 * 1024);
    refused(&anonymous(&s, &q, json!({})).await, "QUERY_TOO_COMPLEX");
    // 900 tokens pass the budget and reach the resolver (which refuses the malformed ids).
    let ids: String = (0..900).map(|_| "\"x\" ").collect();
    let q = format!("{{ matrix(organisations: [{ids}]) {{ edition }} }}");
    assert_eq!(
        codes(&anonymous(&s, &q, json!({})).await),
        ["INVALID_ARGUMENT"]
    );
    // Brackets nested past the parser's budget.
    let deep = format!("{{ viewer {}{} }}", "[".repeat(100), "]".repeat(100));
    refused(&anonymous(&s, &deep, json!({})).await, "QUERY_TOO_COMPLEX");
    // The limits are settings.
    let small = schema(SchemaConfig {
        max_query_bytes: 1024,
        max_tokens: 10,
        ..SchemaConfig::default()
    })
    .await;
    refused(
        &anonymous(
            &small,
            "{ viewer { role actingOrganisation { id name } } }",
            json!({}),
        )
        .await,
        "QUERY_TOO_COMPLEX",
    );
    assert_eq!(
        codes(&anonymous(&small, "{ viewer { role } }", json!({})).await),
        ["UNAUTHENTICATED"]
    );
}

#[test]
fn the_token_scanner_counts_graphql_tokens_and_stops_at_the_budget() {
    use taisho_graphql::limits::scan_text;
    let q = "query Q($n: Int = -1.5e3) { a: viewer @include(if: true) { ...F } } # { { {\n\
             fragment F on Viewer { role name(x: \"}{ \\\" ]\", y: \"\"\"\n{ \"\"\") }";
    let s = scan_text(q, 1000);
    assert_eq!(s.nesting, 2, "{s:?}");
    // query Q ( $ n : Int = -1.5e3 ) { a : viewer @ include ( if : true ) { ... F } }: 26
    // fragment F on Viewer { role name ( x : "…" y : """…""" ) }: 16
    assert_eq!(s.tokens, 26 + 16, "{s:?}");
    // Never more than the budget and one.
    assert_eq!(scan_text(&"a ".repeat(100_000), 10).tokens, 11);
}

#[tokio::test]
async fn catalog_lists_count_per_element_in_the_complexity() {
    let s = schema(SchemaConfig::default()).await;
    // Thirty aliases of every edition's items with their elements: a 15 MB answer.
    let body: String = (0..30)
        .map(|i| format!(" c{i}: editions {{ items {{ id title elements {{ term variants }} }} }}"))
        .collect();
    refused(
        &anonymous(&s, &format!("{{{body} }}"), json!({})).await,
        "QUERY_TOO_COMPLEX",
    );
    refused(
        &anonymous(
            &s,
            "{ editions { items { id elements { term variants } } } }",
            json!({}),
        )
        .await,
        "QUERY_TOO_COMPLEX",
    );
    // One edition's item list, or one section with its elements, fits.
    for q in [
        "{ edition(id: \"R5.3\") { items { id title kind section } } }",
        "{ edition(id: \"R5.3\") { items(section: \"KH-6\") { id elements { term variants required } } } }",
        "{ editions { id title items(section: \"KH-1\") { id } } }",
    ] {
        assert_eq!(
            codes(&anonymous(&s, q, json!({})).await),
            ["UNAUTHENTICATED"],
            "{q}"
        );
    }
}

#[tokio::test]
async fn answers_over_the_response_limit_are_refused_with_their_own_code() {
    let small = schema(SchemaConfig {
        max_response_bytes: 256,
        ..SchemaConfig::default()
    })
    .await;
    let aliases: String = (0..30).map(|i| format!(" t{i}: __typename")).collect();
    let r = anonymous(&small, &format!("{{{aliases} }}"), json!({})).await;
    assert_eq!(codes(&r), ["RESPONSE_TOO_LARGE"], "{r:#}");
    assert_eq!(r["data"], json!(null), "{r:#}");
    let r = anonymous(&small, "{ a: __typename }", json!({})).await;
    assert_eq!(r["data"]["a"], json!("QueryRoot"), "{r:#}");
}

#[tokio::test]
async fn the_refusal_hook_hears_of_every_request_the_limits_refuse() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let refusals = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&refusals);
    let s = schema(SchemaConfig {
        max_response_bytes: 256,
        ..SchemaConfig::default()
    })
    .await
    .on_refusal(Arc::new(move |_: &Caller| {
        counted.fetch_add(1, Ordering::SeqCst);
    }));
    anonymous(&s, "{ viewer { role } }", json!({})).await;
    assert_eq!(refusals.load(Ordering::SeqCst), 0);
    let long = format!("{{ viewer {{ role }} }} #{}", "x".repeat(40 * 1024));
    anonymous(&s, &long, json!({})).await;
    assert_eq!(refusals.load(Ordering::SeqCst), 1);
    anonymous(
        &s,
        "{ organisations(first: 101) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(refusals.load(Ordering::SeqCst), 2);
    let aliases: String = (0..30).map(|i| format!(" t{i}: __typename")).collect();
    anonymous(&s, &format!("{{{aliases} }}"), json!({})).await;
    assert_eq!(refusals.load(Ordering::SeqCst), 3);
}
