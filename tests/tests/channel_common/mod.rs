//! Helpers shared by the channel tests.
#![allow(dead_code)]

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};

/// An "RNG" that returns fixed bytes (to replay a known-answer test's randomness), then zeros.
pub struct FixedRng {
    bytes: Vec<u8>,
    at: usize,
}

impl FixedRng {
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            at: 0,
        }
    }

    /// Zeros only: ML-DSA's deterministic variant (rnd = 0^32).
    pub fn zeros() -> Self {
        Self::new(&[])
    }

    pub fn consumed(&self) -> usize {
        self.at
    }
}

impl TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst.iter_mut() {
            *d = self.bytes.get(self.at).copied().unwrap_or(0);
            self.at += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// Hex string field of a JSON object.
pub fn hex_field(v: &serde_json::Value, name: &str) -> Vec<u8> {
    hex::decode(
        v[name]
            .as_str()
            .unwrap_or_else(|| panic!("field {name} missing")),
    )
    .expect("hex")
}

/// Loads a vector file from `tests/vectors/channel/`.
pub fn load_vectors(file: &str) -> serde_json::Value {
    let path = format!("{}/vectors/channel/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector JSON")
}
