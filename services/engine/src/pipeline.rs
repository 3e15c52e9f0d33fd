//! The one path from a document's bytes to its analysis: read → tokenise → analyse.
//!
//! Every caller runs the same steps in the same order: the analysis job (with progress and
//! cancellation between steps), `taisho analyze` and `taisho compare` (timings, many files) and
//! the national bench (which stops after a step to time a prefix). What differs between them is
//! said with a checkpoint, a function called before each step; an error from it stops the run.
//!
//! ```text
//! let pipeline = Pipeline::new(&tokenizer, &limits);
//! pipeline.tokenise(bytes, hint)                  → Tokenised { document, tokens }
//! pipeline.analyse(bytes, hint, &model)           → Analysed { document, tokens, analysis }
//! pipeline.run(bytes, hint, &model, checkpoint)   → the same, with a checkpoint before each step
//! ```
//!
//! The model must have been prepared with the same tokenizer ([`PreparedModel::new`]).

use crate::Tokenizer;
use crate::analysis::{self, Analysis, PreparedModel};
use crate::document::Document;
use crate::error::EngineError;
use crate::limits::Limits;
use crate::tokenize::{self, Tokens};

/// A step of the pipeline, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Decode, normalise and structure the bytes ([`crate::read`]).
    Read,
    /// Segment and fold the sentences ([`tokenize::tokenize`]).
    Tokenise,
    /// Align with the model and derive the findings ([`analysis::analyze`]).
    Analyse,
}

/// A document read and tokenised.
#[derive(Debug)]
pub struct Tokenised {
    pub document: Document,
    pub tokens: Tokens,
}

/// A document read, tokenised and analysed.
#[derive(Debug)]
pub struct Analysed {
    pub document: Document,
    pub tokens: Tokens,
    pub analysis: Analysis,
}

/// The tokenizer and limits every step of a run uses.
#[derive(Clone, Copy)]
pub struct Pipeline<'a> {
    tokenizer: &'a dyn Tokenizer,
    limits: &'a Limits,
}

impl std::fmt::Debug for Pipeline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("limits", self.limits)
            .finish_non_exhaustive()
    }
}

impl<'a> Pipeline<'a> {
    pub fn new(tokenizer: &'a dyn Tokenizer, limits: &'a Limits) -> Pipeline<'a> {
        Pipeline { tokenizer, limits }
    }

    /// Reads and tokenises `bytes` (`hint`: the file name or media type when known).
    pub fn tokenise(&self, bytes: &[u8], hint: Option<&str>) -> Result<Tokenised, EngineError> {
        let document = crate::read(bytes, hint, self.limits)?;
        let tokens = tokenize::tokenize(&document, self.tokenizer, self.limits)?;
        Ok(Tokenised { document, tokens })
    }

    /// Reads, tokenises and analyses `bytes` against `model`.
    pub fn analyse(
        &self,
        bytes: &[u8],
        hint: Option<&str>,
        model: &PreparedModel,
    ) -> Result<Analysed, EngineError> {
        self.run(bytes, hint, model, |_| Ok(()))
    }

    /// [`Pipeline::analyse`] with `checkpoint` called before each step (progress, cancellation,
    /// timing); its error stops the run and is returned as is.
    pub fn run<E: From<EngineError>>(
        &self,
        bytes: &[u8],
        hint: Option<&str>,
        model: &PreparedModel,
        mut checkpoint: impl FnMut(Step) -> Result<(), E>,
    ) -> Result<Analysed, E> {
        checkpoint(Step::Read)?;
        let document = crate::read(bytes, hint, self.limits)?;
        checkpoint(Step::Tokenise)?;
        let tokens = tokenize::tokenize(&document, self.tokenizer, self.limits)?;
        checkpoint(Step::Analyse)?;
        let analysis = analysis::analyze(&document, &tokens, model, self.limits)?;
        Ok(Analysed {
            document,
            tokens,
            analysis,
        })
    }
}
