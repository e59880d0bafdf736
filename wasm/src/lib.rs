//! Browser bindings over `zkfl-core` (no crypto logic of their own).
