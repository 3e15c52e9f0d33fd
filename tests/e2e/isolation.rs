//! API isolation probes: the schema is walked by introspection and every query field, mutation
//! and object field taking an `ID` is called with another body's real ids and with random missing
//! ids of the same type. The answers must be the same apart from the id (NOT_FOUND, same message,
//! no data). A coordinator, who may read the members, gets data back for reads (the positive
//! control) and never a successful write.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::api;
use crate::client::{Client, Resp};
use crate::harness::{Backend, Server};
use crate::redact::{id_type, make_id, random_uuid};

e2e_test!(
    foreign_ids_are_indistinguishable_from_missing_ones,
    isolation
);

const ID_TYPES: [&str; 7] = [
    "Organisation",
    "User",
    "Document",
    "Version",
    "Analysis",
    "Grant",
    "ApiKey",
];

const INTROSPECTION: &str = r"query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
      enumValues { name }
      interfaces { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

/// Slots whose purpose is to name another organisation the caller cannot read (a grant's
/// recipient): such an id must exist, so it answers differently from a missing one. Reported, not
/// failed.
const DISCLOSED_BY_DESIGN: &[&str] = &["createGrant.input.grantee"];

/// Arguments that filter a list the caller may read rather than look an object up: a foreign id
/// and a missing one must give the same answer (checked like every slot), which is an answer
/// with data (the list, filtered to nothing) instead of NOT_FOUND. (An audit log filtered by a
/// removed member's id must still show that member's entries, so the filter cannot look the
/// actor up.)
const FILTERS: &[&str] = &["auditLog.actor"];

/// A body's ids by type.
type Ids = BTreeMap<&'static str, Vec<String>>;

async fn isolation(backend: Backend) {
    let server = Server::start(backend).await;
    let members = api::demo_members(&api::prefecture_key_client(&server)).await;
    assert!(members.len() >= 4, "{members:?}");
    let (x, y, z) = (&members[1], &members[2], &members[3]);

    // Probers and targets:
    // - the prefecture admin (a session with the admin role, so role checks pass in its own
    //   organisation) against the consultancy, which the prefecture does not read;
    // - a member's editor key against the prefecture (members do not read their prefecture);
    // - the consultancy's key (a grant from member 0 only) against member Y.
    let admin = api::sign_in(&server, "admin").await;
    let pref = api::acting_org(&admin).await;
    let c_client = server
        .client()
        .with_bearer(&server.create_key(taisho_consultancy(), "editor"));
    let cons = api::acting_org(&c_client).await;
    let x_client = server
        .client()
        .with_bearer(&server.create_key(&x.name, "editor"));
    assert!(
        !api::organisations(&admin)
            .await
            .iter()
            .any(|o| o.kind == "CONSULTANCY"),
        "the prefecture admin must not read the consultancy"
    );

    let schema = admin.ok(INTROSPECTION, json!({})).await;
    let schema = Schema::new(&schema["__schema"]);
    let targets = schema.targets();
    assert!(
        targets.iter().any(|t| t.op == "mutation") && targets.iter().any(|t| t.op == "query"),
        "{targets:?}"
    );

    let mut pref_ids = uploaded_doc_ids(&admin, &pref).await;
    admin_ids(&admin, &schema, &pref, z, &mut pref_ids).await;
    let mut cons_ids = uploaded_doc_ids(&c_client, &cons).await;
    visible_admin_ids(&c_client, &cons, &mut cons_ids).await;
    let x_ids = demo_doc_ids(&x_client, x).await;
    let y_ids = demo_doc_ids(&api::prefecture_key_client(&server), y).await;
    let mut report = Report::default();
    for (name, ids) in [("prefecture", &pref_ids), ("consultancy", &cons_ids)] {
        let missing: Vec<&str> = ID_TYPES
            .iter()
            .copied()
            .filter(|t| ids.get(t).is_none_or(Vec::is_empty))
            .collect();
        if !missing.is_empty() {
            report
                .notes
                .push(format!("{name}: no {missing:?} ids to probe with"));
        }
    }
    for ty in ID_TYPES {
        assert!(
            pref_ids.get(ty).is_some_and(|v| !v.is_empty()),
            "no {ty} id of the prefecture: {pref_ids:?}"
        );
    }

    probe_all(
        &admin,
        "prefecture admin → consultancy",
        &schema,
        &targets,
        &pref_ids,
        &cons_ids,
        &mut report,
    )
    .await;
    probe_all(
        &x_client,
        "member key → prefecture",
        &schema,
        &targets,
        &x_ids,
        &pref_ids,
        &mut report,
    )
    .await;
    probe_all(
        &c_client,
        "consultancy key → member",
        &schema,
        &targets,
        &cons_ids,
        &y_ids,
        &mut report,
    )
    .await;

    // The coordinator reads the members: reads answer with data, writes never succeed.
    let coordinator = api::sign_in(&server, "coordinator").await;
    coordinator_controls(
        &coordinator,
        &schema,
        &targets,
        &pref_ids,
        &y_ids,
        &mut report,
    )
    .await;

    println!(
        "isolation ({backend:?}): {} probes ({} requests) over {} fields/mutations with ids; answers {:?}; {} coordinator reads with data, {} coordinator writes refused; notes: {:?}",
        report.probes,
        report.requests,
        targets.len(),
        report.codes,
        report.coordinator_reads,
        report.coordinator_writes_refused,
        report.notes
    );
    assert!(
        report.failures.is_empty(),
        "{} isolation failures (of {} probes):\n{}",
        report.failures.len(),
        report.probes,
        report.failures.join("\n")
    );
    assert!(report.probes >= 100, "too few probes: {}", report.probes);
}

fn taisho_consultancy() -> &'static str {
    "デモ情報セキュリティ監査株式会社"
}

#[derive(Default)]
struct Report {
    codes: BTreeMap<String, usize>,
    notes: Vec<String>,
    probes: usize,
    requests: usize,
    coordinator_reads: usize,
    coordinator_writes_refused: usize,
    failures: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Schema walking

#[derive(Debug, Clone)]
struct TypeRef(Value);

impl TypeRef {
    fn named(&self) -> (&str, &str) {
        let mut t = &self.0;
        while t["ofType"].is_object() {
            t = &t["ofType"];
        }
        (
            t["name"].as_str().unwrap_or_default(),
            t["kind"].as_str().unwrap_or_default(),
        )
    }

    fn non_null(&self) -> bool {
        self.0["kind"] == "NON_NULL"
    }

    fn is_list(&self) -> bool {
        let mut t = &self.0;
        loop {
            if t["kind"] == "LIST" {
                return true;
            }
            if !t["ofType"].is_object() {
                return false;
            }
            t = &t["ofType"];
        }
    }

    /// GraphQL syntax, e.g. `[ID!]!`.
    fn render(&self) -> String {
        fn go(t: &Value) -> String {
            match t["kind"].as_str() {
                Some("NON_NULL") => format!("{}!", go(&t["ofType"])),
                Some("LIST") => format!("[{}]", go(&t["ofType"])),
                _ => t["name"].as_str().unwrap_or_default().to_owned(),
            }
        }
        go(&self.0)
    }
}

#[derive(Debug, Clone)]
struct Arg {
    name: String,
    ty: TypeRef,
}

/// One place an id goes: an argument, or a field of an input-object argument.
#[derive(Debug, Clone)]
struct Slot {
    arg: String,
    /// Field inside the input object, when the id is nested.
    field: Option<String>,
}

impl Slot {
    fn label(&self) -> String {
        match &self.field {
            Some(f) => format!("{}.{f}", self.arg),
            None => self.arg.clone(),
        }
    }

    fn name(&self) -> &str {
        self.field.as_deref().unwrap_or(&self.arg)
    }
}

#[derive(Debug, Clone)]
struct Target {
    /// `query` or `mutation`.
    op: &'static str,
    /// `None` for root fields; `Some(type)` for a field of an object type.
    parent: Option<String>,
    field: String,
    args: Vec<Arg>,
    ret: TypeRef,
    slots: Vec<Slot>,
}

impl Target {
    fn label(&self) -> String {
        match &self.parent {
            Some(p) => format!("{p}.{}", self.field),
            None => format!("{} {}", self.op, self.field),
        }
    }
}

struct Schema {
    types: BTreeMap<String, Value>,
    query: String,
    mutation: Option<String>,
    subscription: Option<String>,
}

impl Schema {
    fn new(s: &Value) -> Schema {
        let types = s["types"]
            .as_array()
            .expect("types")
            .iter()
            .filter_map(|t| Some((t["name"].as_str()?.to_owned(), t.clone())))
            .collect();
        Schema {
            types,
            query: s["queryType"]["name"]
                .as_str()
                .unwrap_or("Query")
                .to_owned(),
            mutation: s["mutationType"]["name"].as_str().map(str::to_owned),
            subscription: s["subscriptionType"]["name"].as_str().map(str::to_owned),
        }
    }

    fn fields(&self, ty: &str) -> Vec<(String, Vec<Arg>, TypeRef)> {
        self.types
            .get(ty)
            .and_then(|t| t["fields"].as_array())
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        let args = f["args"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|a| Arg {
                                        name: a["name"].as_str().unwrap_or_default().to_owned(),
                                        ty: TypeRef(a["type"].clone()),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        (
                            f["name"].as_str().unwrap_or_default().to_owned(),
                            args,
                            TypeRef(f["type"].clone()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn input_fields(&self, ty: &str) -> Vec<Arg> {
        self.types
            .get(ty)
            .and_then(|t| t["inputFields"].as_array())
            .map(|fs| {
                fs.iter()
                    .map(|f| Arg {
                        name: f["name"].as_str().unwrap_or_default().to_owned(),
                        ty: TypeRef(f["type"].clone()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn slots(&self, args: &[Arg]) -> Vec<Slot> {
        let mut out = Vec::new();
        for a in args {
            let (name, kind) = a.ty.named();
            if name == "ID" {
                out.push(Slot {
                    arg: a.name.clone(),
                    field: None,
                });
            } else if kind == "INPUT_OBJECT" {
                for f in self.input_fields(name) {
                    if f.ty.named().0 == "ID" {
                        out.push(Slot {
                            arg: a.name.clone(),
                            field: Some(f.name.clone()),
                        });
                    }
                }
            }
        }
        out
    }

    /// Every root field, mutation and object field with an id slot.
    fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let roots: Vec<(&'static str, String)> = std::iter::once(("query", self.query.clone()))
            .chain(self.mutation.clone().map(|m| ("mutation", m)))
            .chain(self.subscription.clone().map(|m| ("subscription", m)))
            .collect();
        for (op, root) in &roots {
            for (field, args, ret) in self.fields(root) {
                let slots = self.slots(&args);
                if !slots.is_empty() {
                    out.push(Target {
                        op,
                        parent: None,
                        field,
                        args,
                        ret,
                        slots,
                    });
                }
            }
        }
        let root_names: BTreeSet<&str> = roots.iter().map(|(_, r)| r.as_str()).collect();
        for (name, t) in &self.types {
            if t["kind"] != "OBJECT" || name.starts_with("__") || root_names.contains(name.as_str())
            {
                continue;
            }
            for (field, args, ret) in self.fields(name) {
                let slots = self.slots(&args);
                if !slots.is_empty() {
                    out.push(Target {
                        op: "query",
                        parent: Some(name.clone()),
                        field,
                        args,
                        ret,
                        slots,
                    });
                }
            }
        }
        out
    }

    #[expect(
        clippy::unused_self,
        reason = "kept a method beside the other query builders"
    )]
    fn selection(&self, ret: &TypeRef) -> &'static str {
        match ret.named().1 {
            "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
            _ => "",
        }
    }

    fn viewer_type(&self) -> Option<String> {
        self.fields(&self.query)
            .into_iter()
            .find(|(f, _, _)| f == "viewer")
            .map(|(_, _, t)| t.named().0.to_owned())
    }

    fn enum_first(&self, ty: &str) -> Value {
        self.types
            .get(ty)
            .and_then(|t| t["enumValues"].as_array())
            .and_then(|v| v.first())
            .map_or(Value::Null, |v| v["name"].clone())
    }
}

/// The id type an argument named `name` of field `field` expects, by name.
fn guess(field: &str, name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let f = field.to_ascii_lowercase();
    Some(match n.as_str() {
        "organisation" | "organisations" | "prefecture" | "org" | "grantor" | "grantee"
        | "organisationid" => "Organisation",
        "document" | "documentid" => "Document",
        "version" | "from" | "to" | "versionid" => "Version",
        "analysis" => "Analysis",
        "user" | "userid" | "member" => "User",
        "grant" | "grantid" => "Grant",
        "apikey" | "key" | "apikeyid" => "ApiKey",
        "id" => {
            if f.contains("apikey") || f.contains("key") {
                "ApiKey"
            } else if f.contains("grant") {
                "Grant"
            } else if f.contains("organisation") {
                "Organisation"
            } else if f.contains("document") {
                "Document"
            } else if f.contains("version") {
                "Version"
            } else if f.contains("analysis") {
                "Analysis"
            } else if f.contains("user") || f.contains("member") {
                "User"
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Values

struct Call {
    query: String,
    variables: Value,
    uploads: Vec<String>,
}

/// A value for a non-id argument of type `ty`.
fn filler(
    schema: &Schema,
    ty: &TypeRef,
    name: &str,
    own: &Ids,
    field: &str,
    uploads: &mut Vec<String>,
    path: &str,
) -> Value {
    let (named, kind) = ty.named();
    let v = match (named, kind) {
        ("ID", _) => json!(own_id(own, field, name)),
        ("Upload", _) => {
            uploads.push(path.to_owned());
            Value::Null
        }
        ("String", _) => {
            let n = name.to_ascii_lowercase();
            if n.contains("email") {
                json!(format!("probe-{}@example.jp", fastrand::u32(..)))
            } else if n.contains("edition") {
                json!("R5.3")
            } else if n.contains("password") {
                json!("Probe-Password-1234567890")
            } else if n.contains("item") {
                json!("KH-1")
            } else {
                json!("probe")
            }
        }
        ("Int", _) => json!(1),
        ("Float", _) => json!(1.0),
        ("Boolean", _) => json!(false),
        (_, "ENUM") => {
            // Roles: the weakest is the safest probe.
            if named == "Role" {
                json!("VIEWER")
            } else {
                schema.enum_first(named)
            }
        }
        (_, "INPUT_OBJECT") => {
            let mut m = Map::new();
            for f in schema.input_fields(named) {
                // Required fields, the upload, and optional titles/names (some inputs need one
                // of several optional fields).
                let optional_text = f.ty.named().0 == "String"
                    && ["title", "name", "displayName"].contains(&f.name.as_str());
                if f.ty.non_null() || f.ty.named().0 == "Upload" || optional_text {
                    let p = format!("{path}.{}", f.name);
                    m.insert(
                        f.name.clone(),
                        filler(schema, &f.ty, &f.name, own, field, uploads, &p),
                    );
                }
            }
            Value::Object(m)
        }
        _ => json!("probe"),
    };
    if ty.is_list() && !matches!(v, Value::Null) {
        json!([v])
    } else {
        v
    }
}

fn own_id(own: &Ids, field: &str, name: &str) -> String {
    let ty = guess(field, name).unwrap_or("Organisation");
    own.get(ty)
        .and_then(|v| v.first())
        .cloned()
        // No own object of that type: a well-formed id of nothing (the probe stays comparable).
        .unwrap_or_else(|| make_id(ty, &random_uuid()))
}

/// The call of `target` with `probe` in `slot` and fillers elsewhere; `anchor` is the id of the
/// parent object for object fields (through `node`).
fn build_call(
    schema: &Schema,
    target: &Target,
    slot: &Slot,
    probe: &str,
    own: &Ids,
    anchor: Option<&str>,
) -> Call {
    let mut uploads = Vec::new();
    let mut decls = Vec::new();
    let mut passed = Vec::new();
    let mut vars = Map::new();
    for (i, a) in target.args.iter().enumerate() {
        let var = format!("v{i}");
        let path = format!("variables.{var}");
        let value = if slot.arg == a.name {
            match &slot.field {
                None => {
                    if a.ty.is_list() {
                        json!([probe])
                    } else {
                        json!(probe)
                    }
                }
                Some(f) => {
                    let mut v = filler(
                        schema,
                        &a.ty,
                        &a.name,
                        own,
                        &target.field,
                        &mut uploads,
                        &path,
                    );
                    let inner = schema
                        .input_fields(a.ty.named().0)
                        .into_iter()
                        .find(|x| &x.name == f);
                    let probe_v = if inner.is_some_and(|x| x.ty.is_list()) {
                        json!([probe])
                    } else {
                        json!(probe)
                    };
                    if let Value::Object(m) = &mut v {
                        m.insert(f.clone(), probe_v);
                    }
                    v
                }
            }
        } else if a.ty.non_null() {
            filler(
                schema,
                &a.ty,
                &a.name,
                own,
                &target.field,
                &mut uploads,
                &path,
            )
        } else {
            continue;
        };
        decls.push(format!("${var}: {}", a.ty.render()));
        passed.push(format!("{}: ${var}", a.name));
        vars.insert(var, value);
    }
    let args = if passed.is_empty() {
        String::new()
    } else {
        format!("({})", passed.join(", "))
    };
    let sel = schema.selection(&target.ret);
    let inner = format!("{}{args}{sel}", target.field);
    let (decl_extra, body) = match (&target.parent, anchor) {
        (None, _) => (String::new(), inner),
        (Some(_), Some("viewer")) => (String::new(), format!("viewer {{ {inner} }}")),
        (Some(p), Some(anchor)) => {
            vars.insert("anchor".into(), json!(anchor));
            (
                "$anchor: ID!".to_owned(),
                format!("node(id: $anchor) {{ ... on {p} {{ {inner} }} }}"),
            )
        }
        (Some(_), None) => (String::new(), inner),
    };
    if !decl_extra.is_empty() {
        decls.push(decl_extra);
    }
    let decls = if decls.is_empty() {
        String::new()
    } else {
        format!("({})", decls.join(", "))
    };
    Call {
        query: format!("{}{decls} {{ {body} }}", target.op),
        variables: Value::Object(vars),
        uploads,
    }
}

async fn send(client: &Client, call: &Call) -> Resp {
    if call.query.starts_with("subscription") {
        let events = client
            .subscribe(&call.query, call.variables.clone(), Duration::from_secs(60))
            .await;
        // The first event stands for the answer (errors or data).
        let first = events.into_iter().next().unwrap_or(Value::Null);
        let text = first.to_string();
        return Resp {
            status: 200,
            headers: reqwest::header::HeaderMap::default(),
            text,
            json: Some(first),
        };
    }
    if call.uploads.is_empty() {
        client.gql(&call.query, call.variables.clone()).await
    } else {
        let files = call
            .uploads
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    "probe.txt".to_owned(),
                    "第１章 総則\n".as_bytes().to_vec(),
                )
            })
            .collect();
        client
            .upload(&call.query, call.variables.clone(), files)
            .await
    }
}

/// The response text with `id` replaced, as JSON (for comparison).
fn normalised(r: &Resp, id: &str) -> Value {
    let text = r.text.replace(id, "<ID>");
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    json!({ "status": r.status, "body": v })
}

/// The data of the probed field is absent or null.
fn no_data(r: &Resp) -> bool {
    match r.data() {
        Value::Null => true,
        Value::Object(m) => m.values().all(|v| match v {
            Value::Null => true,
            // `node`/`viewer` wrappers around the probed object field.
            Value::Object(inner) => inner.values().all(Value::is_null) || inner.is_empty(),
            _ => false,
        }),
        _ => false,
    }
}

/// Resolves the anchor for a target: `None` root, `Some(id)` through `node`, `Some("viewer")`.
fn anchor_for(schema: &Schema, target: &Target, own: &Ids) -> Result<Option<String>, String> {
    let Some(parent) = &target.parent else {
        return Ok(None);
    };
    if ID_TYPES.contains(&parent.as_str()) {
        return own
            .get(parent.as_str())
            .and_then(|v| v.first())
            .cloned()
            .map(Some)
            .ok_or_else(|| parent.clone());
    }
    if schema.viewer_type().as_deref() == Some(parent.as_str()) {
        return Ok(Some("viewer".to_owned()));
    }
    Err(parent.clone())
}

async fn probe_all(
    client: &Client,
    who: &str,
    schema: &Schema,
    targets: &[Target],
    own: &Ids,
    foreign: &Ids,
    report: &mut Report,
) {
    for target in targets {
        let anchor = match anchor_for(schema, target, own) {
            Ok(a) => a,
            Err(t) => {
                report.failures.push(format!(
                    "{who}: {} unreachable (no {t} to start from)",
                    target.label()
                ));
                continue;
            }
        };
        for slot in &target.slots {
            for ty in ID_TYPES {
                for real in foreign.get(ty).into_iter().flatten() {
                    let missing = make_id(ty, &random_uuid());
                    let a = build_call(schema, target, slot, real, own, anchor.as_deref());
                    let b = Call {
                        query: a.query.clone(),
                        variables: serde_json::from_str(
                            &a.variables.to_string().replace(real.as_str(), &missing),
                        )
                        .unwrap_or(Value::Null),
                        uploads: a.uploads.clone(),
                    };
                    let ra = send(client, &a).await;
                    let rb = send(client, &b).await;
                    report.requests += 2;
                    report.probes += 1;
                    let where_ = format!(
                        "{who}: {} [{}] with a foreign {ty}",
                        target.label(),
                        slot.label()
                    );
                    let slot_name = format!("{}.{}", target.field, slot.label());
                    if normalised(&ra, real) != normalised(&rb, &missing)
                        && DISCLOSED_BY_DESIGN.contains(&slot_name.as_str())
                        && ty == "Organisation"
                    {
                        report.notes.push(format!(
                            "{where_}: by design (names another organisation): foreign {} vs missing {}",
                            ra.code().unwrap_or("data"),
                            rb.code().unwrap_or("data")
                        ));
                        continue;
                    }
                    if normalised(&ra, real) != normalised(&rb, &missing) {
                        report.failures.push(format!(
                            "{where_}: answers differ\n  foreign: {}\n  missing: {}\n  query: {}",
                            ra.text, rb.text, a.query
                        ));
                        continue;
                    }
                    let code = ra.code().unwrap_or("-").to_owned();
                    *report.codes.entry(code.clone()).or_default() += 1;
                    // FORBIDDEN is acceptable only identical for both ids: a role check on the
                    // caller's own organisation that runs before the lookup.
                    if FILTERS.contains(&slot_name.as_str()) && ra.errors().is_empty() {
                        continue;
                    }
                    if !(code == "NOT_FOUND" || code == "FORBIDDEN") || !no_data(&ra) {
                        report.failures.push(format!(
                            "{where_}: expected NOT_FOUND without data, got {} {}\n  query: {}",
                            ra.status, ra.text, a.query
                        ));
                    }
                }
            }
        }
    }
}

async fn coordinator_controls(
    coordinator: &Client,
    schema: &Schema,
    targets: &[Target],
    own: &Ids,
    member: &Ids,
    report: &mut Report,
) {
    for target in targets.iter().filter(|t| t.parent.is_none()) {
        for slot in &target.slots {
            let Some(ty) = guess(&target.field, slot.name()).or(if target.field == "node" {
                Some("Organisation")
            } else {
                None
            }) else {
                continue;
            };
            let Some(real) = member.get(ty).and_then(|v| v.first()) else {
                continue;
            };
            let call = build_call(schema, target, slot, real, own, None);
            let r = send(coordinator, &call).await;
            report.requests += 1;
            if target.op == "mutation" {
                if matches!(r.code(), Some("FORBIDDEN" | "NOT_FOUND")) && no_data(&r) {
                    report.coordinator_writes_refused += 1;
                } else {
                    report.failures.push(format!(
                        "coordinator: {} [{}] with a member's {ty}: expected FORBIDDEN/NOT_FOUND, got {} {}",
                        target.label(), slot.label(), r.status, r.text
                    ));
                }
            } else if ["node", "organisation", "document", "version", "analysis"]
                .contains(&target.field.as_str())
                && ["Organisation", "Document", "Version", "Analysis"].contains(&ty)
            {
                if r.errors().is_empty() && !no_data(&r) {
                    report.coordinator_reads += 1;
                } else {
                    report.failures.push(format!(
                        "coordinator: {} [{}] of a member's {ty} should be readable, got {} {}",
                        target.label(),
                        slot.label(),
                        r.status,
                        r.text
                    ));
                }
            }
        }
    }
    // And every readable type through `node`.
    for ty in ["Organisation", "Document", "Version", "Analysis"] {
        if let Some(real) = member.get(ty).and_then(|v| v.first()) {
            let r = coordinator
                .gql(
                    "query($id: ID!) { node(id: $id) { id __typename } }",
                    json!({ "id": real }),
                )
                .await;
            if r.data()["node"]["id"] == json!(real) {
                report.coordinator_reads += 1;
            } else {
                report
                    .failures
                    .push(format!("coordinator: node({ty}) not readable: {}", r.text));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Collecting a body's ids as its admin

fn push(ids: &mut Ids, ty: &'static str, v: &Value) {
    if let Some(id) = v.as_str() {
        assert!(id_type(id).is_some(), "not an opaque id: {id:?}");
        ids.entry(ty).or_default().push(id.to_owned());
    }
}

/// A small policy uploaded by `client` into `org`, analysed: organisation, document, version and
/// analysis ids.
async fn uploaded_doc_ids(client: &Client, org: &api::Org) -> Ids {
    let mut ids: Ids = BTreeMap::new();
    ids.entry("Organisation").or_default().push(org.id.clone());
    let (name, bytes) = api::seed_file("000");
    let up = api::upload(client, &org.id, None, "probe", &name, bytes).await;
    let version = up["version"]["id"].as_str().expect("version id").to_owned();
    api::wait_analysis(client, &version).await;
    let d = client
        .ok(
            "query($v: ID!) { version(id: $v) { id document { id } analysis { id } } }",
            json!({ "v": version }),
        )
        .await;
    push(&mut ids, "Document", &d["version"]["document"]["id"]);
    push(&mut ids, "Version", &d["version"]["id"]);
    push(&mut ids, "Analysis", &d["version"]["analysis"]["id"]);
    ids
}

/// The demo policy of `org` as `client` reads it, once analysed.
async fn demo_doc_ids(client: &Client, org: &api::Org) -> Ids {
    let mut ids: Ids = BTreeMap::new();
    ids.entry("Organisation").or_default().push(org.id.clone());
    let d = api::poll(
        client,
        "query($o: ID!) { organisation(id: $o) { documents(first: 10) { edges { node { id \
         versions(first: 10) { edges { node { id analysis { id } } } } } } } } }",
        json!({ "o": org.id }),
        Duration::from_secs(600),
        |d| {
            d.pointer("/organisation/documents/edges/0/node/versions/edges/0/node/analysis/id")
                .is_some_and(Value::is_string)
        },
    )
    .await;
    let doc = &d["organisation"]["documents"]["edges"][0]["node"];
    push(&mut ids, "Document", &doc["id"]);
    let v = &doc["versions"]["edges"][0]["node"];
    push(&mut ids, "Version", &v["id"]);
    push(&mut ids, "Analysis", &v["analysis"]["id"]);
    ids
}

/// A user, an API key and a grant (to a third body) made by an admin session.
async fn admin_ids(
    client: &Client,
    schema: &Schema,
    org: &api::Org,
    other: &api::Org,
    ids: &mut Ids,
) {
    let u = client
        .ok(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
            json!({ "i": { "organisation": org.id, "email": format!("probe-{}@example.jp", fastrand::u32(..)), "displayName": "検査用", "role": "VIEWER" } }),
        )
        .await;
    push(ids, "User", &u["createUser"]["user"]["id"]);
    let k = client
        .ok(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }",
            json!({ "i": { "organisation": org.id, "name": "probe", "role": "VIEWER" } }),
        )
        .await;
    push(ids, "ApiKey", &k["createApiKey"]["apiKey"]["id"]);
    if let Some(grant) = create_grant(client, schema, org, other).await {
        ids.entry("Grant").or_default().push(grant);
    }
}

/// Users, keys and grants a (non-admin) key may see of its own organisation.
async fn visible_admin_ids(client: &Client, org: &api::Org, ids: &mut Ids) {
    let r = client
        .gql("query($o: ID!) { organisation(id: $o) { memberships(first: 5) { edges { node { user { id } } } } } }", json!({ "o": org.id }))
        .await;
    push(
        ids,
        "User",
        &r.data()["organisation"]["memberships"]["edges"][0]["node"]["user"]["id"],
    );
    let r = client
        .gql("query($o: ID!) { organisation(id: $o) { apiKeys(first: 5) { edges { node { id } } } } }", json!({ "o": org.id }))
        .await;
    push(
        ids,
        "ApiKey",
        &r.data()["organisation"]["apiKeys"]["edges"][0]["node"]["id"],
    );
    // Its received grant is given by member 0, which the prefecture reads: not foreign to the
    // prefecture admin, so it is left out.
}

/// `createGrant` with its input filled from the schema: this body grants `other` read access.
async fn create_grant(
    client: &Client,
    schema: &Schema,
    org: &api::Org,
    other: &api::Org,
) -> Option<String> {
    let (_, args, _) = schema
        .fields(schema.mutation.as_deref()?)
        .into_iter()
        .find(|(f, _, _)| f == "createGrant")?;
    let mut decls = Vec::new();
    let mut passed = Vec::new();
    let mut vars = Map::new();
    let fill = |name: &str, ty: &TypeRef| -> Value {
        let n = name.to_ascii_lowercase();
        let (named, kind) = ty.named();
        match (named, kind) {
            ("ID", _) if n.contains("grantee") || n == "to" || n.contains("recipient") => {
                json!(other.id)
            }
            ("ID", _) => json!(org.id),
            ("Boolean", _) => json!(false),
            (_, "ENUM") => schema.enum_first(named),
            ("String", _) => json!("probe"),
            _ => Value::Null,
        }
    };
    for (i, a) in args.iter().enumerate() {
        let (named, kind) = a.ty.named();
        let value = if kind == "INPUT_OBJECT" {
            let mut m = Map::new();
            for f in schema.input_fields(named) {
                if f.ty.non_null() {
                    m.insert(f.name.clone(), fill(&f.name, &f.ty));
                }
            }
            Value::Object(m)
        } else if a.ty.non_null() {
            fill(&a.name, &a.ty)
        } else {
            continue;
        };
        decls.push(format!("$v{i}: {}", a.ty.render()));
        passed.push(format!("{}: $v{i}", a.name));
        vars.insert(format!("v{i}"), value);
    }
    let ret = schema
        .fields(schema.mutation.as_deref()?)
        .into_iter()
        .find(|(f, _, _)| f == "createGrant")?
        .2;
    let (ret_name, _) = ret.named();
    let has_id = schema.fields(ret_name).iter().any(|(f, _, _)| f == "id");
    let sel = if has_id {
        "{ id }".to_owned()
    } else {
        "{ grant { id } }".to_owned()
    };
    let q = format!(
        "mutation({}) {{ createGrant({}) {sel} }}",
        decls.join(", "),
        passed.join(", ")
    );
    let r = client.gql(&q, Value::Object(vars)).await;
    let g = &r.data()["createGrant"];
    let id = g["id"]
        .as_str()
        .or_else(|| g["grant"]["id"].as_str())
        .map(str::to_owned);
    if id.is_none() {
        eprintln!("createGrant as {}: {} (query {q})", org.name, r.text);
    }
    id
}
