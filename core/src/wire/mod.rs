//! Versioned, length-checked wire encodings with typed decode errors (docs/WIRE.md).
