//! The binary's one mapping from errors to what a user reads.

use taisho_engine::EngineError;

/// Renders an error for stderr: the stable code and plain Japanese first, the technical cause after.
pub fn describe_error(err: &anyhow::Error) -> String {
    if let Some(engine) = err.downcast_ref::<EngineError>() {
        let code = engine.code();
        let context = err
            .chain()
            .next()
            .map(std::string::ToString::to_string)
            .filter(|c| *c != engine.to_string());
        let mut out = format!("エラー [{code}]: {}\n  原因: {engine}", code.summary_ja());
        if let Some(ctx) = context {
            out.push_str(&format!("\n  対象: {ctx}"));
        }
        return out;
    }
    format!("エラー: {err:#}")
}
