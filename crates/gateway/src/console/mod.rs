//! The operator's console.

pub mod charts;
