//! Query limits and error normalisation, all before any resolver runs.
//!
//! - The query text: at most `max_query_bytes`, at most `max_tokens` lexical tokens and brackets
//!   nested at most [`max_nesting`] deep ([`check_text`]: one cheap pass over the bytes, before
//!   anything is parsed, so a hostile document never builds a parse tree).
//! - Depth and complexity: async-graphql's validation (`limit_depth`, `limit_complexity`), with
//!   list fields costing `first × child` ([`list_cost`]).
//! - Aliases, fields and page size: [`check`], on the parsed document (fragments expanded, cycles
//!   cut), before validation: at most `max_aliases` aliased fields, at most `max_complexity`
//!   selections in all, and no `first` above `max_page_size`.
//! - Introspection (`__schema`, `__type`) is refused to browser sessions in production.
//! - A required variable (`$v: T!`, no default) that is missing or null is refused as
//!   `BAD_REQUEST` ([`check_variables`]), before execution.
//! - Errors without a code get one: validation errors are `BAD_REQUEST` (depth and complexity ones
//!   `QUERY_TOO_COMPLEX`), an uncoded resolver error is logged and becomes the generic `INTERNAL`.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensionValues, Name, Positioned, ServerError, ServerResult, Value, Variables,
};
use taisho_domain::ErrorCode;

use crate::SchemaConfig;
use crate::connection::DEFAULT_PAGE_SIZE;

/// How deep brackets (`{`, `(`, `[`) may nest in a query text: the parser's recursion budget.
pub fn max_nesting(config: &SchemaConfig) -> usize {
    config.max_depth.saturating_mul(4).max(32)
}

/// What one pass over a query text found: its lexical tokens (counted up to the budget and one
/// more) and the deepest nesting of brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextScan {
    pub tokens: usize,
    pub nesting: usize,
}

/// Counts the lexical tokens of a GraphQL text (punctuators, names, numbers, strings; whitespace,
/// commas and comments are not tokens), stopping once `budget` is passed. Anything the lexer
/// does not know counts as one token each byte: the parser refuses it anyway.
pub fn scan_text(text: &str, budget: usize) -> TextScan {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut scan = TextScan::default();
    while i < bytes.len() && scan.tokens <= budget {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'{' | b'(' | b'[' => {
                depth += 1;
                scan.nesting = scan.nesting.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        scan.tokens += 1;
    }
    scan
}

/// Checks a query text before it is parsed: its size, its tokens and its nesting (see the module
/// documentation). Cheap: one pass over at most `max_query_bytes` bytes.
pub fn check_text(query: &str, config: &SchemaConfig) -> ServerResult<()> {
    if query.len() > config.max_query_bytes {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!(
                "問合せの文字列が長すぎます（上限 {} バイト）。",
                config.max_query_bytes
            ),
        ));
    }
    let scan = scan_text(query, config.max_tokens);
    if scan.tokens > config.max_tokens {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!("問合せの字句が多すぎます（上限 {}）。", config.max_tokens),
        ));
    }
    let nesting = max_nesting(config);
    if scan.nesting > nesting {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!("問合せの入れ子が深すぎます（上限 {nesting}）。"),
        ));
    }
    Ok(())
}

/// Refuses an answer whose JSON is over `max_response_bytes`, measured by serialising it into a
/// counter that stops at the limit (nothing is buffered).
pub fn check_response(response: &async_graphql::Response, max_bytes: usize) -> ServerResult<()> {
    struct Counter {
        n: usize,
        max: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n += buf.len();
            if self.n > self.max {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter {
        n: 0,
        max: max_bytes,
    };
    if serde_json::to_writer(&mut counter, response).is_err() && counter.n > max_bytes {
        return Err(request_error(
            ErrorCode::ResponseTooLarge,
            format!(
                "応答が大きすぎます（上限 {max_bytes} バイト）。取得する項目や件数を減らすか、ページに分けて取得してください。"
            ),
        ));
    }
    Ok(())
}

/// Whether `response` is a refusal by the limits (before or after execution).
pub fn is_limit_refusal(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|e| {
        crate::error::code_of(e.extensions.as_ref()).is_some_and(|c| {
            c == ErrorCode::QueryTooComplex.as_str() || c == ErrorCode::ResponseTooLarge.as_str()
        })
    })
}

/// Complexity of a field that reads a whole table in one call (the matrix, a diff) on top of its
/// selection: its in-memory lists (cells, rows) count once, so this caps how many of them one
/// request may read.
pub const TABLE_COST: usize = 400;

/// Complexity of a list field: `first` (default page size) times its children's complexity.
pub fn list_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let n = first.map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0));
    n.max(1).saturating_mul(child_complexity).saturating_add(1)
}

fn request_error(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    e.extensions = Some(ext);
    e
}

/// Checks that every required variable (`$v: T!` without a default) of the operation that will run
/// has a non-null value, so a missing one is refused as `BAD_REQUEST` before execution (async-graphql
/// would otherwise start executing and fail in the resolver). Variable values of the wrong type are
/// left to validation, which refuses them before execution too. Without `operation` and with
/// several operations in the document nothing is checked here: async-graphql refuses the request.
pub fn check_variables(
    document: &ExecutableDocument,
    variables: &Variables,
    operation: Option<&str>,
) -> ServerResult<()> {
    let selected = match (&document.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(selected) = selected else {
        return Ok(());
    };
    for definition in &selected.node.variable_definitions {
        let definition = &definition.node;
        if definition.var_type.node.nullable {
            continue;
        }
        let name = definition.name.node.as_str();
        match variables.get(&definition.name.node) {
            Some(Value::Null) => {
                return Err(request_error(
                    ErrorCode::BadRequest,
                    format!("必須の変数 ${name} に null は指定できません。"),
                ));
            }
            None if definition.default_value.is_none() => {
                return Err(request_error(
                    ErrorCode::BadRequest,
                    format!("必須の変数 ${name} が指定されていません。"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// What the walk over a document found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Selections visited (fields, spreads, inline fragments), fragments expanded.
    pub selections: usize,
    pub aliases: usize,
    pub max_first: Option<i64>,
    pub introspection: bool,
}

/// Checks `document` against the limits; the first violation is the error.
pub fn check(
    document: &ExecutableDocument,
    variables: &Variables,
    config: &SchemaConfig,
    no_introspection: bool,
) -> ServerResult<()> {
    let budget = config.max_complexity.max(1);
    let mut walk = Walk {
        fragments: &document.fragments,
        variables,
        budget,
        counts: Counts::default(),
        stack: Vec::new(),
    };
    for (_, operation) in document.operations.iter() {
        walk.selection_set(&operation.node.selection_set.node);
    }
    let counts = walk.counts;
    if counts.selections > budget {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!("問合せの項目が多すぎます（上限 {budget}）。"),
        ));
    }
    if counts.aliases > config.max_aliases {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!("別名が多すぎます（上限 {}）。", config.max_aliases),
        ));
    }
    if counts
        .max_first
        .is_some_and(|n| n > i64::try_from(config.max_page_size).unwrap_or(i64::MAX))
    {
        return Err(request_error(
            ErrorCode::QueryTooComplex,
            format!("一度に取得できるのは{}件までです。", config.max_page_size),
        ));
    }
    if no_introspection && counts.introspection {
        return Err(request_error(
            ErrorCode::Forbidden,
            "この環境では、ブラウザからスキーマを照会することはできません。",
        ));
    }
    Ok(())
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    budget: usize,
    counts: Counts,
    /// Fragments being expanded (a cycle is cut here; validation rejects it anyway).
    stack: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn over(&self) -> bool {
        self.counts.selections > self.budget
    }

    fn selection_set(&mut self, set: &'a SelectionSet) {
        for item in &set.items {
            if self.over() {
                return;
            }
            self.counts.selections += 1;
            match &item.node {
                Selection::Field(positioned) => {
                    let field = &positioned.node;
                    if field.alias.is_some() {
                        self.counts.aliases += 1;
                    }
                    let name = field.name.node.as_str();
                    if name == "__schema" || name == "__type" {
                        self.counts.introspection = true;
                    }
                    for (i, (arg, _)) in field.arguments.iter().enumerate() {
                        if arg.node.as_str() == "first" {
                            self.first(positioned, i);
                        }
                    }
                    self.selection_set(&field.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.stack.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(&spread.node.fragment_name.node) {
                        self.stack.push(name);
                        self.selection_set(&fragment.node.selection_set.node);
                        self.stack.pop();
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node);
                }
            }
        }
    }

    fn first(&mut self, value: &Positioned<async_graphql::parser::types::Field>, arg: usize) {
        let Some((_, value)) = value.node.arguments.get(arg) else {
            return;
        };
        let resolved = value
            .node
            .clone()
            .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()));
        if let Ok(Value::Number(n)) = resolved
            && let Some(n) = n.as_i64()
        {
            self.counts.max_first = Some(self.counts.max_first.map_or(n, |m| m.max(n)));
        }
    }
}

/// Gives every error a code (see the module documentation).
pub fn normalise(errors: &mut [ServerError]) {
    for e in errors.iter_mut() {
        if crate::error::code_of(e.extensions.as_ref()).is_some() {
            continue;
        }
        let (code, message) = if e.path.is_empty() {
            // Parse and validation errors: about the query text, safe to show.
            let code = if e.message.starts_with("Query is nested too deep")
                || e.message.starts_with("Query is too complex")
                || e.message.starts_with("The recursion depth of the query")
            {
                ErrorCode::QueryTooComplex
            } else {
                ErrorCode::BadRequest
            };
            (code, format!("{} ({})", code.summary_ja(), e.message))
        } else if e.message.starts_with("Invalid value for argument")
            || e.message.starts_with("Failed to parse")
        {
            (
                ErrorCode::InvalidArgument,
                format!(
                    "{} ({})",
                    ErrorCode::InvalidArgument.summary_ja(),
                    e.message
                ),
            )
        } else {
            tracing::error!(error = %e.message, "GraphQL error without a code");
            (
                ErrorCode::Internal,
                ErrorCode::Internal.summary_ja().to_owned(),
            )
        };
        e.message = message;
        let mut ext = e.extensions.take().unwrap_or_default();
        ext.set("code", code.as_str());
        e.extensions = Some(ext);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Variables;
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::check_variables;

    fn check(query: &str, variables: serde_json::Value, operation: Option<&str>) -> Option<String> {
        let document = parse_query(query).expect("query parses");
        check_variables(&document, &Variables::from_json(variables), operation)
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn only_the_selected_operation_needs_its_required_variables() {
        let q = "query A { viewer { role } } query B($o: ID!) { organisation(id: $o) { id } }";
        assert_eq!(check(q, json!({}), Some("A")), None);
        assert_eq!(
            check(q, json!({}), Some("B")).as_deref(),
            Some("必須の変数 $o が指定されていません。")
        );
        // Several operations and no name: async-graphql refuses the request itself.
        assert_eq!(check(q, json!({}), None), None);
        assert_eq!(
            check(
                "query B($o: ID!) { organisation(id: $o) { id } }",
                json!({}),
                None
            )
            .as_deref(),
            Some("必須の変数 $o が指定されていません。")
        );
    }

    #[test]
    fn null_is_refused_for_required_variables_even_with_a_default() {
        let q =
            "query($n: Int! = 5, $m: Int) { organisations(first: $n, last: $m) { totalCount } }";
        assert_eq!(check(q, json!({}), None), None);
        assert_eq!(check(q, json!({ "m": null }), None), None);
        assert_eq!(
            check(q, json!({ "n": null }), None).as_deref(),
            Some("必須の変数 $n に null は指定できません。")
        );
        assert_eq!(check(q, json!({ "n": 3 }), None), None);
    }
}
