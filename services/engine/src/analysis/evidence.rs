//! Evidence for a finding: the model text, the policy clause, and the morpheme diff between them.

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
/// `a`/`b` are interned key ids (equal ids = equal keys), the surfaces are parallel to them. The
/// analysis interns once per document instead of per finding.
pub(crate) fn token_diff(
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
            surfaces.get(r).map(<[&str]>::concat)
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
