//! Wire encodings of the BFV public key (a, b_1..b_L) and of a multi-message ciphertext (c1, c0_1..c0_L)
//! (docs/BFV.md §7). Fixed size for a given (set, L):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (1) |
//! | 1 | kind: 0x01 public key, 0x02 ciphertext (0x03, 0x04 retired: the first threshold design's key share and decryption share) |
//! | 1 | parameter-set id (`ParamSet::ID`) |
//! | 2 | chunk count L, u16 little endian (1 ≤ L) |
//! | (L+1)·N·BYTES | a then b_1..b_L (resp. c1 then c0_1..c0_L), canonical little-endian coefficients |
//!
//! The key-holder committee's messages have their own format and kinds 0x10–0x16 (`threshold::wire`,
//! docs/THRESHOLD.md §15); kinds 0x03 and 0x04 carried the first threshold design's messages, are retired and
//! are never reused, so old bytes are refused as `WrongKind`.
//!
//! Decoding checks, in this order: header length, version, kind, set id, chunk count against the caller's
//! buffers, exact total length, then every coefficient < q. The header can be read on its own
//! ([`read_header`]) to learn L before sizing buffers; [`poly_offset`] locates each polynomial for
//! streaming decoders that read one chunk at a time.

use super::error::{DecodeError, EncodeError};
use super::poly::{decode_poly, encode_poly, poly_bytes};
use crate::params::ParamSet;
use crate::ring::Poly;

/// The format version written and accepted.
pub const VERSION: u8 = 1;
/// Kind tag of a public key.
pub const KIND_PUBLIC_KEY: u8 = 0x01;
/// Kind tag of a ciphertext.
pub const KIND_CIPHERTEXT: u8 = 0x02;
/// Header length in bytes.
pub const HEADER_BYTES: usize = 5;

/// A parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Kind tag.
    pub kind: u8,
    /// Parameter-set id.
    pub set_id: u8,
    /// Chunk count L.
    pub chunks: usize,
}

/// Total encoded size of a key or ciphertext with `chunks` chunks under set P.
#[must_use]
pub const fn encoded_len<P: ParamSet>(chunks: usize) -> usize {
    HEADER_BYTES + (chunks + 1) * poly_bytes::<P::M>(P::N)
}

/// Byte offset of polynomial `i` (0 = a or c1, j = b_j or c0_j).
#[must_use]
pub const fn poly_offset<P: ParamSet>(i: usize) -> usize {
    HEADER_BYTES + i * poly_bytes::<P::M>(P::N)
}

/// Parses and checks the header: version, kind and set id against the expected values. Does not check
/// the total length (see the full decoders).
pub fn read_header<P: ParamSet>(bytes: &[u8], kind: u8) -> Result<Header, DecodeError> {
    let h = bytes.get(..HEADER_BYTES).ok_or(DecodeError::WrongLength {
        expected: HEADER_BYTES,
        got: bytes.len(),
    })?;
    if h[0] != VERSION {
        return Err(DecodeError::WrongVersion {
            expected: VERSION,
            got: h[0],
        });
    }
    if h[1] != kind {
        return Err(DecodeError::WrongKind {
            expected: kind,
            got: h[1],
        });
    }
    if h[2] != P::ID {
        return Err(DecodeError::WrongParamSet {
            expected: P::ID,
            got: h[2],
        });
    }
    let chunks = u16::from_le_bytes([h[3], h[4]]) as usize;
    if chunks == 0 {
        return Err(DecodeError::WrongChunkCount {
            expected: 1,
            got: 0,
        });
    }
    // A caller may size buffers from the header before reading the body: never above the set's L_max
    // (review 9, finding 2: 65,535 chunks of set XL would ask for 4.3 GB from a 5-byte body).
    if chunks > P::MAX_CHUNKS {
        return Err(DecodeError::WrongChunkCount {
            expected: P::MAX_CHUNKS,
            got: chunks,
        });
    }
    Ok(Header {
        kind,
        set_id: h[2],
        chunks,
    })
}

/// Writes the header of a key or ciphertext with `chunks` chunks into `out` (exactly [`HEADER_BYTES`]), so
/// that a streaming encoder can emit the polynomials one at a time at [`poly_offset`] (the firmware writes
/// each c0_j as it is produced).
pub fn write_header<P: ParamSet>(
    kind: u8,
    chunks: usize,
    out: &mut [u8],
) -> Result<(), EncodeError> {
    let l = chunk_field(chunks)?;
    let got = out.len();
    let head: &mut [u8; HEADER_BYTES] =
        out.try_into().map_err(|_| EncodeError::WrongBufferLength {
            expected: HEADER_BYTES,
            got,
        })?;
    *head = [VERSION, kind, P::ID, l.to_le_bytes()[0], l.to_le_bytes()[1]];
    Ok(())
}

/// L as the header's u16 (1 ≤ L ≤ 65535).
fn chunk_field(chunks: usize) -> Result<u16, EncodeError> {
    u16::try_from(chunks)
        .ok()
        .filter(|&c| c > 0)
        .ok_or(EncodeError::TooManyChunks { chunks })
}

fn encode<P: ParamSet, const N: usize>(
    kind: u8,
    first: &Poly<P::M, N>,
    rest: &[Poly<P::M, N>],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    const { assert!(N == P::N) };
    chunk_field(rest.len())?;
    let expected = encoded_len::<P>(rest.len());
    if out.len() != expected {
        return Err(EncodeError::WrongBufferLength {
            expected,
            got: out.len(),
        });
    }
    let (head, body) = out.split_at_mut(HEADER_BYTES);
    write_header::<P>(kind, rest.len(), head)?;
    let pb = poly_bytes::<P::M>(N);
    let mut parts = body.chunks_exact_mut(pb);
    for (p, o) in core::iter::once(first).chain(rest.iter()).zip(&mut parts) {
        encode_poly(p, o);
    }
    Ok(())
}

fn decode<P: ParamSet, const N: usize>(
    kind: u8,
    bytes: &[u8],
    first: &mut Poly<P::M, N>,
    rest: &mut [Poly<P::M, N>],
) -> Result<(), DecodeError> {
    const { assert!(N == P::N) };
    let h = read_header::<P>(bytes, kind)?;
    if h.chunks != rest.len() {
        return Err(DecodeError::WrongChunkCount {
            expected: rest.len(),
            got: h.chunks,
        });
    }
    let expected = encoded_len::<P>(h.chunks);
    if bytes.len() != expected {
        return Err(DecodeError::WrongLength {
            expected,
            got: bytes.len(),
        });
    }
    let pb = poly_bytes::<P::M>(N);
    let body = &bytes[HEADER_BYTES..];
    let polys = core::iter::once(first).chain(rest.iter_mut());
    for (i, (p, b)) in polys.zip(body.chunks_exact(pb)).enumerate() {
        decode_poly(b, i * N, p)?;
    }
    Ok(())
}

/// Encodes the public key (a, b_1..b_L) into `out` (exactly [`encoded_len`] bytes).
pub fn encode_public_key<P: ParamSet, const N: usize>(
    a: &Poly<P::M, N>,
    b: &[Poly<P::M, N>],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    encode::<P, N>(KIND_PUBLIC_KEY, a, b, out)
}

/// Decodes a public key with exactly `b.len()` chunks into the caller's buffers.
pub fn decode_public_key<P: ParamSet, const N: usize>(
    bytes: &[u8],
    a: &mut Poly<P::M, N>,
    b: &mut [Poly<P::M, N>],
) -> Result<(), DecodeError> {
    decode::<P, N>(KIND_PUBLIC_KEY, bytes, a, b)
}

/// Encodes the ciphertext (c1, c0_1..c0_L) into `out` (exactly [`encoded_len`] bytes).
pub fn encode_ciphertext<P: ParamSet, const N: usize>(
    c1: &Poly<P::M, N>,
    c0: &[Poly<P::M, N>],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    encode::<P, N>(KIND_CIPHERTEXT, c1, c0, out)
}

/// Decodes a ciphertext with exactly `c0.len()` chunks into the caller's buffers.
pub fn decode_ciphertext<P: ParamSet, const N: usize>(
    bytes: &[u8],
    c1: &mut Poly<P::M, N>,
    c0: &mut [Poly<P::M, N>],
) -> Result<(), DecodeError> {
    decode::<P, N>(KIND_CIPHERTEXT, bytes, c1, c0)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::Modulus;
    use crate::params::{SetL, SetS};
    use crate::ring::sample::{Xof, uniform};
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn header_refuses_more_chunks_than_the_set_allows() {
        let mut head = [0u8; HEADER_BYTES];
        for (chunks, ok) in [
            (SetS::MAX_CHUNKS, true),
            (SetS::MAX_CHUNKS + 1, false),
            (65_535, false),
        ] {
            write_header_unchecked(&mut head, KIND_CIPHERTEXT, SetS::ID, chunks as u16);
            let got = read_header::<SetS>(&head, KIND_CIPHERTEXT);
            assert_eq!(got.is_ok(), ok, "{chunks} chunks");
        }
    }

    /// A header written field by field, so the test can name chunk counts the encoder refuses.
    fn write_header_unchecked(head: &mut [u8; HEADER_BYTES], kind: u8, set: u8, chunks: u16) {
        head[0] = VERSION;
        head[1] = kind;
        head[2] = set;
        head[3..5].copy_from_slice(&chunks.to_le_bytes());
    }

    fn polys<P: ParamSet, const N: usize>(seed: u8, count: usize) -> Vec<Poly<P::M, N>> {
        (0..count)
            .map(|i| {
                let mut p = Poly::zero();
                uniform(&mut Xof::new(&[seed; 32], b"wire-test", i as u64), &mut p);
                p
            })
            .collect()
    }

    fn round_trip<P: ParamSet, const N: usize>(seed: u8, chunks: usize) {
        let ps = polys::<P, N>(seed, chunks + 1);
        let mut buf = vec![0u8; encoded_len::<P>(chunks)];
        encode_ciphertext::<P, N>(&ps[0], &ps[1..], &mut buf).unwrap();
        let mut c1 = Poly::zero();
        let mut c0: Vec<Poly<P::M, N>> = (0..chunks).map(|_| Poly::zero()).collect();
        decode_ciphertext::<P, N>(&buf, &mut c1, &mut c0).unwrap();
        assert!(c1 == ps[0] && c0[..] == ps[1..]);
        // The same polynomials as a public key decode only as a public key.
        let mut pk = vec![0u8; encoded_len::<P>(chunks)];
        encode_public_key::<P, N>(&ps[0], &ps[1..], &mut pk).unwrap();
        assert_eq!(pk[HEADER_BYTES..], buf[HEADER_BYTES..]);
        assert_eq!(
            decode_ciphertext::<P, N>(&pk, &mut c1, &mut c0),
            Err(DecodeError::WrongKind {
                expected: KIND_CIPHERTEXT,
                got: KIND_PUBLIC_KEY
            })
        );
        let mut a = Poly::zero();
        let mut b: Vec<Poly<P::M, N>> = (0..chunks).map(|_| Poly::zero()).collect();
        decode_public_key::<P, N>(&pk, &mut a, &mut b).unwrap();
        assert!(a == ps[0] && b[..] == ps[1..]);
        // The retired threshold kinds 0x03/0x04 are refused by both decoders.
        for retired in [0x03u8, 0x04] {
            let mut old = pk.clone();
            old[1] = retired;
            for expected in [KIND_PUBLIC_KEY, KIND_CIPHERTEXT] {
                let r = decode::<P, N>(expected, &old, &mut a, &mut b);
                assert_eq!(
                    r,
                    Err(DecodeError::WrongKind {
                        expected,
                        got: retired
                    })
                );
            }
        }
    }

    /// Every malformed variant of a valid 2-chunk ciphertext is rejected with the right error.
    fn rejections<P: ParamSet, const N: usize>(seed: u8, pos: usize) {
        let ps = polys::<P, N>(seed, 3);
        let mut good = vec![0u8; encoded_len::<P>(2)];
        encode_ciphertext::<P, N>(&ps[0], &ps[1..], &mut good).unwrap();
        let mut c1 = Poly::zero();
        let mut c0 = [Poly::zero(), Poly::zero()];
        let mut dec = |bytes: &[u8]| decode_ciphertext::<P, N>(bytes, &mut c1, &mut c0);
        assert_eq!(dec(&good), Ok(()));
        let len = good.len();
        // Truncation anywhere (including inside the header) and one extra byte.
        let cut = pos % len;
        let expected = if cut < HEADER_BYTES {
            HEADER_BYTES
        } else {
            len
        };
        assert_eq!(
            dec(&good[..cut]),
            Err(DecodeError::WrongLength { expected, got: cut })
        );
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(
            dec(&longer),
            Err(DecodeError::WrongLength {
                expected: len,
                got: len + 1
            })
        );
        // Header fields.
        let mut bad = good.clone();
        bad[0] = 2;
        assert_eq!(
            dec(&bad),
            Err(DecodeError::WrongVersion {
                expected: 1,
                got: 2
            })
        );
        let mut bad = good.clone();
        bad[2] ^= 3;
        assert_eq!(
            dec(&bad),
            Err(DecodeError::WrongParamSet {
                expected: P::ID,
                got: P::ID ^ 3
            })
        );
        let mut bad = good.clone();
        bad[3] = 3;
        assert_eq!(
            dec(&bad),
            Err(DecodeError::WrongChunkCount {
                expected: 2,
                got: 3
            })
        );
        let mut bad = good.clone();
        bad[3] = 0;
        assert_eq!(
            dec(&bad),
            Err(DecodeError::WrongChunkCount {
                expected: 1,
                got: 0
            })
        );
        // A non-canonical coefficient (q itself, and all-ones) anywhere.
        let idx = pos % (3 * N);
        let off = HEADER_BYTES + idx * P::M::BYTES;
        for v in [P::M::Q, (1u128 << (8 * P::M::BYTES)) - 1] {
            let mut bad = good.clone();
            bad[off..off + P::M::BYTES].copy_from_slice(&v.to_le_bytes()[..P::M::BYTES]);
            assert_eq!(
                dec(&bad),
                Err(DecodeError::CoefficientOutOfRange { index: idx })
            );
        }
        // q − 1 is canonical and accepted.
        let mut ok = good.clone();
        ok[off..off + P::M::BYTES].copy_from_slice(&(P::M::Q - 1).to_le_bytes()[..P::M::BYTES]);
        assert_eq!(dec(&ok), Ok(()));
    }

    #[test]
    fn round_trips_both_sets() {
        round_trip::<SetS, 2048>(1, 1);
        round_trip::<SetS, 2048>(2, 3);
        round_trip::<SetL, 4096>(3, 2);
    }

    #[test]
    fn wrong_set_is_rejected() {
        let ps = polys::<SetS, 2048>(4, 2);
        let mut buf = vec![0u8; encoded_len::<SetS>(1)];
        encode_ciphertext::<SetS, 2048>(&ps[0], &ps[1..], &mut buf).unwrap();
        // Same bytes offered as set L: the set id is checked before any length arithmetic.
        let mut c1 = Poly::zero();
        let mut c0 = [Poly::zero()];
        assert_eq!(
            decode_ciphertext::<SetL, 4096>(&buf, &mut c1, &mut c0),
            Err(DecodeError::WrongParamSet {
                expected: SetL::ID,
                got: SetS::ID
            })
        );
    }

    #[test]
    fn encoder_rejects_bad_buffers() {
        let ps = polys::<SetS, 2048>(5, 2);
        let mut buf = vec![0u8; encoded_len::<SetS>(1) - 1];
        assert_eq!(
            encode_ciphertext::<SetS, 2048>(&ps[0], &ps[1..], &mut buf),
            Err(EncodeError::WrongBufferLength {
                expected: buf.len() + 1,
                got: buf.len()
            })
        );
        assert_eq!(
            encode_ciphertext::<SetS, 2048>(&ps[0], &[], &mut buf),
            Err(EncodeError::TooManyChunks { chunks: 0 })
        );
        assert_eq!(encoded_len::<SetS>(54), 5 + 55 * 2048 * 6);
        assert_eq!(poly_offset::<SetL>(2), 5 + 2 * 4096 * 11);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn malformed_inputs_are_rejected_s(seed in any::<u8>(), pos in any::<usize>()) {
            rejections::<SetS, 2048>(seed, pos);
        }

        #[test]
        fn malformed_inputs_are_rejected_l(seed in any::<u8>(), pos in any::<usize>()) {
            rejections::<SetL, 4096>(seed, pos);
        }

        #[test]
        fn round_trip_random(seed in any::<u8>(), chunks in 1usize..4) {
            round_trip::<SetS, 2048>(seed, chunks);
        }
    }
}
