//! Fiat–Shamir transcript over SHAKE256 (docs/PROTOCOL.md, transcript).
//!
//! Every operation is framed so the byte stream fed to the sponge is an injective encoding of the sequence
//! of operations: `op ‖ u64(|label|) ‖ label ‖ u64(|data|) ‖ data`, all integers little-endian. Two
//! different operation sequences therefore never hash the same input (no ambiguity between a long label
//! and a short message, nor between one message and two halves of it).
//!
//! API summary:
//! - [`Transcript::new`]`(protocol)` — starts a transcript bound to [`TRANSCRIPT_DOMAIN`] and a protocol label.
//! - `absorb_bytes`, `absorb_u64`, `absorb_u64s`, `absorb_i64s`, `absorb_i32s`, `absorb_coeffs::<M>` —
//!   one framed message each; integers in fixed-width little-endian (two's complement for signed),
//!   residues mod q as `M::BYTES` canonical little-endian bytes, so every value has one encoding.
//! - [`Transcript::begin_message`]`(label, byte_len)` → [`MessageAbsorber`] — streaming absorb of one
//!   message whose total length is declared up front (the prover absorbs the ciphertext chunk by chunk);
//!   `finish` checks the declared length was met exactly.
//! - [`Transcript::challenge_seed`]`(label)` → `[u8; 32]` — squeezes a seed from a copy of the sponge,
//!   then absorbs the label and the seed itself, so the transcript keeps running (no finalisation, no
//!   fork) and later seeds depend on earlier ones.
//! - `Clone`: prover and verifier replay the same operations and obtain identical seeds.
//!
//! `PUBLIC` (constant-time check, docs/CONSTANT_TIME.md): every absorb declassifies its data with
//! [`crate::ct::declassify`] (a no-op outside the `valgrind-ct` feature). What the prover absorbs is the
//! statement, a message it publishes in the proof (t_A, t_y, t_β, z3, t_g, h, t_t), a value the verifier
//! recomputes from the proof (w, v), or a seed squeezed from those; the commitments of a rejected attempt
//! (t_y, t_β, or w, t_t, v) are absorbed into a discarded copy of the transcript and are declassified too,
//! because the attempt's challenge is derived from them (see docs/CONSTANT_TIME.md, limit of the method).

use crate::arith::Modulus;
use crate::ct::declassify;
use shake::{ExtendableOutput, Shake256, Update, XofReader};

/// Domain-separation prefix absorbed first by every transcript (version 1 of the framing).
pub const TRANSCRIPT_DOMAIN: &[u8] = b"ZKFL-PQ/transcript/v1";

/// Length in bytes of a challenge seed.
pub const SEED_BYTES: usize = 32;

/// Frame tags: distinct per operation kind, so an absorb can never be mistaken for a squeeze.
const OP_INIT: u8 = 0x00;
const OP_ABSORB: u8 = 0x01;
const OP_SQUEEZE: u8 = 0x02;

/// Misuse of the streaming absorber (a programming error on public data, reported instead of panicking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranscriptError {
    /// More bytes were written than declared in `begin_message`.
    Overlong {
        /// Declared message length.
        declared: u64,
    },
    /// `finish` was called before the declared number of bytes was written.
    Incomplete {
        /// Bytes still missing.
        missing: u64,
    },
}

impl core::fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Overlong { declared } => {
                write!(
                    f,
                    "transcript message longer than its declared {declared} bytes"
                )
            }
            Self::Incomplete { missing } => {
                write!(f, "transcript message finished {missing} bytes short")
            }
        }
    }
}

/// A running Fiat–Shamir transcript. Cloning it copies the sponge state.
#[derive(Clone, Debug)]
pub struct Transcript {
    sponge: Shake256,
}

impl Transcript {
    /// Starts a transcript for the protocol named `protocol` (e.g. `b"bfv-norm-proof"`).
    #[must_use]
    pub fn new(protocol: &[u8]) -> Self {
        let mut t = Self {
            sponge: Shake256::default(),
        };
        t.frame(OP_INIT, TRANSCRIPT_DOMAIN, protocol.len() as u64);
        t.sponge.update(protocol);
        t
    }

    /// Writes the header `op ‖ u64(|label|) ‖ label ‖ u64(len)`.
    fn frame(&mut self, op: u8, label: &[u8], len: u64) {
        self.sponge.update(&[op]);
        self.sponge.update(&(label.len() as u64).to_le_bytes());
        self.sponge.update(label);
        self.sponge.update(&len.to_le_bytes());
    }

    /// Absorbs one message of raw bytes.
    pub fn absorb_bytes(&mut self, label: &[u8], data: &[u8]) {
        // Public: every absorbed message is published or recomputed by the verifier (see `PUBLIC`).
        self.frame(OP_ABSORB, label, data.len() as u64);
        self.sponge.update(data);
    }

    /// Absorbs one 64-bit integer (8 bytes little-endian).
    pub fn absorb_u64(&mut self, label: &[u8], x: u64) {
        self.absorb_bytes(label, &x.to_le_bytes());
    }

    /// Absorbs a slice of u64 values, 8 bytes little-endian each.
    pub fn absorb_u64s(&mut self, label: &[u8], xs: &[u64]) {
        // Public: an absorbed message (see `PUBLIC`).
        self.frame(OP_ABSORB, label, byte_len(xs.len(), 8));
        for x in xs {
            self.sponge.update(&x.to_le_bytes());
        }
    }

    /// Absorbs a slice of signed coefficients, 8 bytes two's complement little-endian each.
    pub fn absorb_i64s(&mut self, label: &[u8], xs: &[i64]) {
        // Public: an absorbed message (see `PUBLIC`).
        self.frame(OP_ABSORB, label, byte_len(xs.len(), 8));
        for x in xs {
            self.sponge.update(&x.to_le_bytes());
        }
    }

    /// Absorbs a slice of signed 32-bit coefficients, 4 bytes two's complement little-endian each.
    pub fn absorb_i32s(&mut self, label: &[u8], xs: &[i32]) {
        // Public: an absorbed message (see `PUBLIC`).
        self.frame(OP_ABSORB, label, byte_len(xs.len(), 4));
        for x in xs {
            self.sponge.update(&x.to_le_bytes());
        }
    }

    /// Absorbs residues mod q as their canonical representatives in [0, q), `M::BYTES` bytes
    /// little-endian each (the same bytes as the wire encoding of a mod-q coefficient).
    pub fn absorb_coeffs<M: Modulus>(&mut self, label: &[u8], xs: &[M::Coeff]) {
        // Public: an absorbed message (see `PUBLIC`).
        self.frame(OP_ABSORB, label, byte_len(xs.len(), M::BYTES));
        for &x in xs {
            let bytes = M::to_u128(x).to_le_bytes();
            self.sponge.update(bytes.get(..M::BYTES).unwrap_or(&bytes));
        }
    }

    /// Starts one message of exactly `byte_len` bytes that is absorbed in pieces.
    pub fn begin_message(&mut self, label: &[u8], byte_len: u64) -> MessageAbsorber<'_> {
        self.frame(OP_ABSORB, label, byte_len);
        MessageAbsorber {
            transcript: self,
            declared: byte_len,
            remaining: byte_len,
        }
    }

    /// Derives a 32-byte challenge seed bound to everything absorbed so far and to `label`, then
    /// absorbs the label and the seed so the transcript continues from a state that depends on it.
    pub fn challenge_seed(&mut self, label: &[u8]) -> [u8; SEED_BYTES] {
        let mut fork = self.sponge.clone();
        fork.update(&[OP_SQUEEZE]);
        fork.update(&(label.len() as u64).to_le_bytes());
        fork.update(label);
        fork.update(&(SEED_BYTES as u64).to_le_bytes());
        let mut seed = [0u8; SEED_BYTES];
        fork.finalize_xof().read(&mut seed);
        // PUBLIC: a challenge seed is a random-oracle output the verifier recomputes from the proof (or, for
        // a rejected attempt, a hash the prover discards); the absorbed messages themselves stay secret here.
        declassify(&seed);
        self.frame(OP_SQUEEZE, label, SEED_BYTES as u64);
        self.sponge.update(&seed);
        seed
    }
}

/// `count · width` as a u64 length prefix (saturating: no slice that long can exist anyway).
fn byte_len(count: usize, width: usize) -> u64 {
    (count as u64).saturating_mul(width as u64)
}

/// Streaming writer for one declared-length transcript message (see [`Transcript::begin_message`]).
#[derive(Debug)]
pub struct MessageAbsorber<'a> {
    transcript: &'a mut Transcript,
    declared: u64,
    remaining: u64,
}

impl MessageAbsorber<'_> {
    /// Absorbs the next piece of the message.
    ///
    /// # Errors
    /// [`TranscriptError::Overlong`] if the piece would exceed the declared length; nothing is absorbed.
    pub fn write_bytes(&mut self, data: &[u8]) -> Result<(), TranscriptError> {
        let n = data.len() as u64;
        if n > self.remaining {
            return Err(TranscriptError::Overlong {
                declared: self.declared,
            });
        }
        self.remaining -= n;
        // Public: part of an absorbed message (see `Transcript`'s `PUBLIC`).
        self.transcript.sponge.update(data);
        Ok(())
    }

    /// Absorbs residues mod q as `M::BYTES` canonical little-endian bytes each.
    ///
    /// # Errors
    /// [`TranscriptError::Overlong`] if they would exceed the declared length; nothing is absorbed.
    pub fn write_coeffs<M: Modulus>(&mut self, xs: &[M::Coeff]) -> Result<(), TranscriptError> {
        let n = byte_len(xs.len(), M::BYTES);
        if n > self.remaining {
            return Err(TranscriptError::Overlong {
                declared: self.declared,
            });
        }
        self.remaining -= n;
        // Public: part of an absorbed message.
        for &x in xs {
            let bytes = M::to_u128(x).to_le_bytes();
            self.transcript
                .sponge
                .update(bytes.get(..M::BYTES).unwrap_or(&bytes));
        }
        Ok(())
    }

    /// Absorbs signed coefficients as 8 bytes two's complement little-endian each.
    ///
    /// # Errors
    /// [`TranscriptError::Overlong`] if they would exceed the declared length; nothing is absorbed.
    pub fn write_i64s(&mut self, xs: &[i64]) -> Result<(), TranscriptError> {
        let n = byte_len(xs.len(), 8);
        if n > self.remaining {
            return Err(TranscriptError::Overlong {
                declared: self.declared,
            });
        }
        self.remaining -= n;
        // Public: part of an absorbed message.
        for x in xs {
            self.transcript.sponge.update(&x.to_le_bytes());
        }
        Ok(())
    }

    /// Ends the message.
    ///
    /// # Errors
    /// [`TranscriptError::Incomplete`] if fewer bytes than declared were written.
    pub fn finish(self) -> Result<(), TranscriptError> {
        if self.remaining == 0 {
            Ok(())
        } else {
            Err(TranscriptError::Incomplete {
                missing: self.remaining,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::modulus::Q44;

    fn seed_after(f: impl FnOnce(&mut Transcript)) -> [u8; 32] {
        let mut t = Transcript::new(b"test");
        f(&mut t);
        t.challenge_seed(b"c")
    }

    #[test]
    fn replay_gives_identical_seeds() {
        let run = |t: &mut Transcript| {
            t.absorb_bytes(b"ctx", b"round 7");
            t.absorb_i64s(b"z", &[1, -2, 3]);
            let a = t.challenge_seed(b"a");
            t.absorb_u64(b"n", 5);
            (a, t.challenge_seed(b"b"))
        };
        let mut p = Transcript::new(b"proto");
        let mut v = Transcript::new(b"proto");
        assert_eq!(run(&mut p), run(&mut v));
    }

    #[test]
    fn clone_replays_and_diverges_independently() {
        let mut t = Transcript::new(b"proto");
        t.absorb_bytes(b"x", b"1");
        let mut u = t.clone();
        assert_eq!(t.challenge_seed(b"c"), u.challenge_seed(b"c"));
        t.absorb_bytes(b"y", b"2");
        u.absorb_bytes(b"y", b"3");
        assert_ne!(t.challenge_seed(b"c"), u.challenge_seed(b"c"));
    }

    #[test]
    fn consecutive_squeezes_differ_and_depend_on_label() {
        let mut t = Transcript::new(b"proto");
        let a = t.challenge_seed(b"c");
        let b = t.challenge_seed(b"c");
        assert_ne!(a, b);
        let mut u = Transcript::new(b"proto");
        assert_eq!(u.clone().challenge_seed(b"c"), a);
        assert_ne!(u.challenge_seed(b"d"), a);
    }

    #[test]
    fn framing_is_injective() {
        // Moving bytes between label and data, or splitting one message in two, changes the seed.
        let base = seed_after(|t| t.absorb_bytes(b"ab", b"cd"));
        assert_ne!(base, seed_after(|t| t.absorb_bytes(b"a", b"bcd")));
        assert_ne!(base, seed_after(|t| t.absorb_bytes(b"abc", b"d")));
        assert_ne!(
            seed_after(|t| t.absorb_bytes(b"m", b"xy")),
            seed_after(|t| {
                t.absorb_bytes(b"m", b"x");
                t.absorb_bytes(b"m", b"y");
            })
        );
        // The protocol label binds too.
        let mut other = Transcript::new(b"tesu");
        assert_ne!(base, {
            other.absorb_bytes(b"ab", b"cd");
            other.challenge_seed(b"c")
        });
        // Signed and unsigned encodings of the same bits agree (same canonical bytes), -1 ≠ 1.
        assert_eq!(
            seed_after(|t| t.absorb_i64s(b"v", &[-1])),
            seed_after(|t| t.absorb_u64s(b"v", &[u64::MAX]))
        );
        assert_ne!(
            seed_after(|t| t.absorb_i64s(b"v", &[-1])),
            seed_after(|t| t.absorb_i64s(b"v", &[1]))
        );
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: [i64; 6] = [5, -7, 9, 11, -13, 0];
        let one = seed_after(|t| t.absorb_i64s(b"ct", &data));
        let streamed = seed_after(|t| {
            let mut m = t.begin_message(b"ct", 48);
            assert_eq!(m.write_i64s(&data[..2]), Ok(()));
            assert_eq!(m.write_i64s(&data[2..]), Ok(()));
            assert_eq!(m.finish(), Ok(()));
        });
        assert_eq!(one, streamed);
        let coeffs = [3u64, 0, (1 << 44) - 540];
        let one = seed_after(|t| t.absorb_coeffs::<Q44>(b"t", &coeffs));
        let streamed = seed_after(|t| {
            let mut m = t.begin_message(b"t", 18);
            assert_eq!(m.write_coeffs::<Q44>(&coeffs[..1]), Ok(()));
            assert_eq!(m.write_bytes(&[0; 6]), Ok(()));
            assert_eq!(m.write_coeffs::<Q44>(&coeffs[2..]), Ok(()));
            assert_eq!(m.finish(), Ok(()));
        });
        assert_eq!(one, streamed);
    }

    #[test]
    fn streaming_length_is_enforced() {
        let mut t = Transcript::new(b"proto");
        let mut m = t.begin_message(b"ct", 10);
        assert_eq!(m.write_bytes(&[0; 8]), Ok(()));
        assert_eq!(
            m.write_bytes(&[0; 3]),
            Err(TranscriptError::Overlong { declared: 10 })
        );
        assert_eq!(
            m.write_i64s(&[1]),
            Err(TranscriptError::Overlong { declared: 10 })
        );
        assert_eq!(m.finish(), Err(TranscriptError::Incomplete { missing: 2 }));
    }

    #[test]
    fn known_answer_is_stable() {
        // Pins the framing: any change to the encoding changes this value (update PROTOCOL.md if so).
        let mut t = Transcript::new(b"kat");
        t.absorb_bytes(b"m", b"abc");
        let seed = t.challenge_seed(b"c");
        let mut h = Shake256::default();
        h.update(&[OP_INIT]);
        h.update(&(TRANSCRIPT_DOMAIN.len() as u64).to_le_bytes());
        h.update(TRANSCRIPT_DOMAIN);
        h.update(&3u64.to_le_bytes());
        h.update(b"kat");
        h.update(&[
            OP_ABSORB, 1, 0, 0, 0, 0, 0, 0, 0, b'm', 3, 0, 0, 0, 0, 0, 0, 0,
        ]);
        h.update(b"abc");
        h.update(&[
            OP_SQUEEZE, 1, 0, 0, 0, 0, 0, 0, 0, b'c', 32, 0, 0, 0, 0, 0, 0, 0,
        ]);
        let mut expect = [0u8; 32];
        h.finalize_xof().read(&mut expect);
        assert_eq!(seed, expect);
    }
}
