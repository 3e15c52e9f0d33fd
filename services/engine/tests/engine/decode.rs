//! Tests of the decode stage.
