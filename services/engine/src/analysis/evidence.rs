//! Evidence for a finding: the model text, the policy clause, and the morpheme diff between them.

use std::collections::HashMap;

use serde::Serialize;
use similar::DiffTag;

use crate::diff::OpTag;

/// One token-level operation between the model text and the policy clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffOp {
    pub tag: OpTag,
    /// Model surface of the operation (absent for an insertion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Policy surface of the operation (absent for a deletion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// Patience diff over folded keys (notation never shows as a change); surfaces are shown.
///
/// `model` and `policy` are (surface, key) per token.
pub fn token_diff(model: &[(String, String)], policy: &[(String, String)]) -> Vec<DiffOp> {
    let mut interner: HashMap<&str, u32> = HashMap::new();
    let mut a: Vec<u32> = Vec::with_capacity(model.len());
    let mut b: Vec<u32> = Vec::with_capacity(policy.len());
    for (side, toks) in [(&mut a, model), (&mut b, policy)] {
        for t in toks {
            let next = interner.len() as u32;
            side.push(*interner.entry(t.1.as_str()).or_insert(next));
        }
    }
    let model_surfaces: Vec<&str> = model.iter().map(|t| t.0.as_str()).collect();
    let policy_surfaces: Vec<&str> = policy.iter().map(|t| t.0.as_str()).collect();
    token_diff_ids(&a, &model_surfaces, &b, &policy_surfaces)
}

/// [`token_diff`] over interned keys: `a`/`b` are key ids (equal ids = equal keys), the
/// surfaces are parallel to them. The analysis interns once per document instead of per
/// finding.
pub(crate) fn token_diff_ids(
    a: &[u32],
    model_surfaces: &[&str],
    b: &[u32],
    policy_surfaces: &[&str],
) -> Vec<DiffOp> {
    let ops = super::patience::capture_patience(a, b);
    let join = |surfaces: &[&str], r: std::ops::Range<usize>| -> Option<String> {
        if r.is_empty() {
            None
        } else {
            surfaces.get(r).map(|s| s.concat())
        }
    };
    let mut out: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        let tag = match tag {
            DiffTag::Equal => OpTag::Equal,
            DiffTag::Delete => OpTag::Delete,
            DiffTag::Insert => OpTag::Insert,
            DiffTag::Replace => OpTag::Replace,
        };
        out.push(DiffOp {
            tag,
            model: join(model_surfaces, old),
            policy: join(policy_surfaces, new),
        });
    }
    out
}

/// The unified one-line view: `[-model-]{+policy+}` marks around changed spans.
pub fn diff_text(ops: &[DiffOp]) -> String {
    let mut out = String::new();
    for op in ops {
        match op.tag {
            OpTag::Equal => out.push_str(op.policy.as_deref().unwrap_or("")),
            _ => {
                if let Some(m) = &op.model {
                    out.push_str(&format!("[-{m}-]"));
                }
                if let Some(p) = &op.policy {
                    out.push_str(&format!("{{+{p}+}}"));
                }
            }
        }
    }
    out
}
