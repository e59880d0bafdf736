//! Domain-separated SHAKE256 (FIPS 202) used by the KDF and every digest (docs/CHANNEL.md §2).
//!
//! Encoding rule: the domain label and every variable-length field are absorbed as
//! `u64-LE length ‖ bytes`; fixed-width integers are absorbed little-endian without a prefix. The field
//! order is fixed per use, so the whole input is an injective encoding of the fields.

use shake::{ExtendableOutput, Shake256, Update, XofReader};

/// A SHAKE256 instance that absorbs length-framed fields under a domain label.
pub(crate) struct LabeledShake(Shake256);

impl LabeledShake {
    /// Starts a hash for `domain` (an ASCII label such as `ZKFL-PQ/v1/...`).
    pub(crate) fn new(domain: &[u8]) -> Self {
        let mut h = Self(Shake256::default());
        h.bytes(domain);
        h
    }

    /// Absorbs a variable-length field with its length.
    pub(crate) fn bytes(&mut self, field: &[u8]) -> &mut Self {
        self.0.update(&(field.len() as u64).to_le_bytes());
        self.0.update(field);
        self
    }

    /// Absorbs raw bytes without a length prefix: only for the single trailing field of a streamed hash.
    pub(crate) fn raw(&mut self, data: &[u8]) -> &mut Self {
        self.0.update(data);
        self
    }

    /// Absorbs one byte.
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.update(&[v]);
        self
    }

    /// Absorbs a `u32` little-endian.
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.update(&v.to_le_bytes());
        self
    }

    /// Absorbs a `u64` little-endian.
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.0.update(&v.to_le_bytes());
        self
    }

    /// Squeezes `out.len()` bytes.
    pub(crate) fn finish(self, out: &mut [u8]) {
        let mut reader = self.0.finalize_xof();
        reader.read(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(f: impl FnOnce(&mut LabeledShake)) -> [u8; 32] {
        let mut s = LabeledShake::new(b"test");
        f(&mut s);
        let mut out = [0u8; 32];
        s.finish(&mut out);
        out
    }

    #[test]
    fn framing_separates_field_boundaries() {
        let a = h(|s| {
            s.bytes(b"ab").bytes(b"c");
        });
        let b = h(|s| {
            s.bytes(b"a").bytes(b"bc");
        });
        assert_ne!(a, b);
    }

    #[test]
    fn domain_separates() {
        let mut x = LabeledShake::new(b"one");
        x.bytes(b"m");
        let mut y = LabeledShake::new(b"two");
        y.bytes(b"m");
        let (mut ox, mut oy) = ([0u8; 32], [0u8; 32]);
        x.finish(&mut ox);
        y.finish(&mut oy);
        assert_ne!(ox, oy);
    }
}
