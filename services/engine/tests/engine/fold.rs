//! Tests of the fold stage.
