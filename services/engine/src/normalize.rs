//! Artefact removal and line joining with offsets kept. (stub: owned by the structure work)

use crate::document::Artefact;
use crate::error::EngineError;
use crate::limits::Deadline;
use crate::text::MappedText;

#[derive(Debug, Clone)]
pub struct Normalized {
    pub clean: MappedText,
    pub artefacts: Vec<Artefact>,
}

pub fn normalize(text: &MappedText, _deadline: crate::Deadline) -> Result<Normalized, EngineError> {
    let _: Option<Deadline> = None;
    Ok(Normalized {
        clean: text.clone(),
        artefacts: Vec::new(),
    })
}
