//! Callers without text access read reasons as their kind and the model's words only: nothing the
//! engine quoted from the body's text (「3文字」となっており…) reaches them.

use chrono::Utc;
use serde_json::json;
use taisho_app::analyses::{ReasonKind, view};
use taisho_domain::{AnalysisId, DocumentId, OrgId, VersionId};
use taisho_store::AnalysisStatus;
use taisho_store::analyses::Analysis;

/// Words of the body's own text, each quoted by one of the engine's reasons below.
const BODY_WORDS: [&str; 5] = [
    "3文字",
    "原則として",
    "努めるものとする",
    "担当者",
    "一部の職員",
];

fn stored() -> Analysis {
    let reason = |kind: &str, terms: serde_json::Value, message: &str| json!({ "kind": kind, "terms": terms, "message": message });
    let result = json!({
        "summary": { "covered": 0, "weakened": 1, "omitted": 0, "out_of_scope": 0, "local_additions": 0 },
        "findings": [{
            "item": "TK-6.4-3-2",
            "status": "weakened",
            "reasons": [
                reason("threshold_lowered", json!(["3文字"]), "「3文字」となっており、モデルの「十分な長さ」及び推奨値（8文字以上）より弱い。"),
                reason("hedge_added", json!(["原則として"]), "モデルにない「原則として」が加えられ、義務が緩められている。"),
                reason("modality_downgrade", json!(["しなければならない", "努めるものとする"]), "モデルでは「しなければならない」とされているが、「努めるものとする」となっている。"),
                reason("actor_changed", json!(["職員等", "担当者"]), "モデルでは「職員等」が行うとされているが、「担当者」となっている。"),
                reason("scope_narrowed", json!(["職員等"]), "モデルの「職員等」より対象が狭められている。「一部の職員」"),
                reason("element_missing", json!(["推測されにくい"]), "「推測されにくい」が欠けている。"),
                reason("frequency_removed", json!(["定期的に"]), "「定期的に」が欠けている。"),
            ],
            "matches": [],
            "evidence": {
                "model": "職員等は、パスワードは十分な長さとし、文字列は想像しにくいものとし、定期的に変更しなければならない。",
                "policy": "担当者は、パスワードを原則として3文字以上とするよう努めるものとする。",
                "diff": [],
            },
        }],
        "local_additions": [],
    });
    Analysis {
        id: AnalysisId::from_uuid(uuid::Uuid::now_v7()),
        version_id: VersionId::from_uuid(uuid::Uuid::now_v7()),
        org_id: OrgId::from_uuid(uuid::Uuid::now_v7()),
        edition: "R5.3".into(),
        status: AnalysisStatus::Done,
        result,
        created_at: Utc::now(),
    }
}

#[test]
fn reasons_without_text_access_carry_the_kind_and_model_terms_only() {
    let doc = DocumentId::from_uuid(uuid::Uuid::now_v7());
    let hidden = view(stored(), doc, false);
    let finding = &hidden.findings[0];
    assert_eq!(finding.reasons.len(), 7);
    for r in &finding.reasons {
        for word in BODY_WORDS {
            assert!(
                !r.message.contains(word) && !r.terms.iter().any(|t| t.contains(word)),
                "{:?} quotes the body's 「{word}」: {r:?}",
                r.kind
            );
        }
        assert!(!r.message.is_empty());
    }
    let terms = |kind: ReasonKind| {
        finding
            .reasons
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| r.terms.clone())
            .unwrap_or_default()
    };
    // The model's own words stay: they tell the reader what is asked.
    assert_eq!(terms(ReasonKind::ElementMissing), ["推測されにくい"]);
    assert_eq!(terms(ReasonKind::FrequencyRemoved), ["定期的に"]);
    assert_eq!(terms(ReasonKind::ActorChanged), ["職員等"]);
    assert_eq!(finding.missing_elements, ["推測されにくい"]);
    assert!(finding.evidence.policy_text.is_none());

    // With text access the engine's own words are shown.
    let open = view(stored(), doc, true);
    assert!(open.findings[0].reasons[0].message.contains("3文字"));
}
