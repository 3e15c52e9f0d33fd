//! Tests of the tokens stage.
