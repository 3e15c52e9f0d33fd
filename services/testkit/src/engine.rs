//! The engines the tests analyse with: the product's (IPADIC, built once per process like the
//! binary's) and the character-class fallback (no dictionary: fast, for tests of the layers above
//! the analysis).

use std::sync::{Arc, OnceLock};

use taisho_app::engine::Engine;
use taisho_engine::analysis::PreparedModel;
use taisho_guideline::EditionId;
use taisho_japanese::JapaneseTokenizer;

/// The process-wide engine over the IPADIC tokenizer (the binary builds its own the same way).
pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let tokenizer = JapaneseTokenizer::shared().expect("the IPADIC dictionary builds");
            Arc::new(Engine::new(tokenizer))
        })
        .clone()
}

/// A new engine over the engine's character-class tokenizer.
pub fn char_class_engine() -> Arc<Engine> {
    Arc::new(Engine::new(Arc::new(taisho_engine::CharClassTokenizer)))
}

/// The offline analysis as `taisho analyze` runs it: the IPADIC tokenizer and the default
/// edition's prepared model, of [`engine`].
#[derive(Debug)]
pub struct Analyser {
    pub tokenizer: Arc<JapaneseTokenizer>,
    pub model: Arc<PreparedModel>,
}

/// The process-wide [`Analyser`].
pub fn analyser() -> &'static Analyser {
    static ANALYSER: OnceLock<Analyser> = OnceLock::new();
    ANALYSER.get_or_init(|| Analyser {
        tokenizer: JapaneseTokenizer::shared().expect("the IPADIC dictionary builds"),
        model: engine()
            .model(EditionId::DEFAULT)
            .expect("the default model prepares"),
    })
}
