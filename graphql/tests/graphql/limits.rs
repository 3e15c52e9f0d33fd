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
