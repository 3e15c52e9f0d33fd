//! Numbering schemes and the section tree. (stub: owned by the structure work)

use crate::decode::Decoded;
use crate::document::*;
use crate::error::EngineError;
use crate::limits::Deadline;
use crate::normalize::Normalized;

pub fn parse(
    decoded: Decoded,
    normalized: Normalized,
    _deadline: Deadline,
) -> Result<Document, EngineError> {
    let len = decoded.text.len();
    Ok(Document {
        meta: decoded.meta,
        original: decoded.text,
        clean: normalized.clean,
        artefacts: normalized.artefacts,
        nodes: vec![Node {
            id: NodeId(0),
            parent: None,
            children: vec![],
            kind: NodeKind::Root,
            label: None,
            path: String::new(),
            heading: None,
            body: 0..0,
            range: 0..len,
        }],
        sentences: vec![],
    })
}
