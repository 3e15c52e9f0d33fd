//! Tests of the diff stage.
