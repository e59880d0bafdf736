//! Wire formats of the key-holder committee's messages (docs/THRESHOLD.md §15): key commitments, revealed slot
//! shares, dealt part seeds, the present set, spend receipts and share sets. They replace the first threshold
//! design's kinds 0x03/0x04 of `wire::bfv` (retired, never reused).
//!
//! The encodings live here, next to the types they encode, because they name the committee's types (`Epoch`,
//! `Committee`, `SpendReceipt`, member sets) and the channel's signatures: `wire` sits below both
//! (docs/ARCHITECTURE.md, "Layering"). They share `wire`'s polynomial encoding and its typed errors.
//!
//! Every message starts with the same 40-byte header:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (1) |
//! | 1 | kind (0x10 … 0x16, [`Kind`]) |
//! | 1 | parameter-set id (`ParamSet::ID`) |
//! | 1 | sender: the member index 1..=n (0 for the aggregator's present set) |
//! | 1 | n |
//! | 1 | t |
//! | 2 | L, the committee key's chunk count (u16 little endian, 1 ≤ L ≤ the set's L_max) |
//! | 32 | the epoch's identity `threshold::Epoch::id` = H(CRS, epoch number, n, t, roster digest ρ_R) |
//!
//! The receiver decodes against what it already knows ([`Frame`]: its own epoch and L), so a message of another
//! epoch, committee, roster, set or key length is refused from the header, before the body is read. The sender
//! field is what the message *claims*; the channel authenticates who sent it, and the receiver compares the two.
//! Decoding checks, in this order: header length, version, kind, set id, (n, t), L, epoch identity, sender,
//! exact total length, then the body's fields (member sets, slot masks, canonical coefficients). Every failure is
//! a typed [`DecodeError`]; no decoder panics or allocates.

use super::plan::SLOT_CAP;
use super::slots::{Members, bit};
use super::{Committee, Epoch, SpendReceipt};
use crate::arith::cast::fit_u8;
use crate::channel::identity::{SIGNATURE_LEN, Signature};
use crate::params::ParamSet;
use crate::ring::Poly;
use crate::ring::sample::SEED_BYTES;
use crate::wire::poly::{decode_poly, encode_poly, poly_bytes};
use crate::wire::{DecodeError, EncodeError};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub mod signed;

/// The format version written and accepted.
pub const VERSION: u8 = 1;
/// Header length in bytes.
pub const HEADER_BYTES: usize = 40;

/// The message kinds. 0x03 and 0x04 (the first design's key share and decryption share) are retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A member's key commitment c_i (§2.2 step 1).
    Commitment = 0x10,
    /// A member's revealed slot shares b_{i,U,j}, every slot and chunk (§2.2 step 2).
    Reveal = 0x11,
    /// A dealer's part seeds of every slot one holder holds (§2.2 step 3; secret, sent inside the channel only).
    DealtParts = 0x12,
    /// The aggregator's present set P for one aggregate (§3.2).
    PresentSet = 0x13,
    /// A member's spend receipt for one aggregate (§3.1.1).
    SpendReceipt = 0x14,
    /// A member's decryption shares of every chunk of one aggregate (§3.2).
    ShareSet = 0x15,
    /// The share proofs of a share set, one per chunk (§6, §16.4 item 5).
    ShareProofs = 0x16,
}

/// What the receiver knows before it reads a message: its own epoch and the committee key's chunk count L.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'e> {
    /// The receiver's epoch (CRS, epoch number, committee, roster digest).
    pub epoch: &'e Epoch,
    /// L.
    pub chunks: usize,
}

impl Frame<'_> {
    fn committee(&self) -> &Committee {
        &self.epoch.committee
    }

    /// (n, t) as bytes (both ≤ `plan::MAX_MEMBERS` = 16).
    fn shape(&self) -> (u8, u8) {
        let c = self.committee();
        (
            fit_u8(u64::from(c.members())),
            fit_u8(u64::from(c.threshold())),
        )
    }
}

/// A parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The kind.
    pub kind: u8,
    /// The claimed sender (1..=n; 0 = the aggregator).
    pub sender: u8,
}

fn write_header<P: ParamSet>(
    f: &Frame<'_>,
    kind: Kind,
    sender: u8,
    out: &mut [u8],
) -> Result<(), EncodeError> {
    let l = u16::try_from(f.chunks)
        .ok()
        .filter(|&l| l > 0)
        .ok_or(EncodeError::TooManyChunks { chunks: f.chunks })?;
    let (n, t) = f.shape();
    out[..8].copy_from_slice(&[
        VERSION,
        kind as u8,
        P::ID,
        sender,
        n,
        t,
        l.to_le_bytes()[0],
        l.to_le_bytes()[1],
    ]);
    out[8..HEADER_BYTES].copy_from_slice(&f.epoch.id());
    Ok(())
}

/// Parses and checks the header of a message of kind `kind` against the receiver's frame. `sender_is_member`:
/// the sender must be in 1..=n (else it must be 0, the aggregator).
///
/// # Errors
/// [`DecodeError::WrongLength`] below [`HEADER_BYTES`], then `WrongVersion`, `WrongKind`, `WrongParamSet`,
/// `WrongCommittee`, `WrongChunkCount`, `WrongEpoch`, `MemberIndex`.
pub fn read_header<P: ParamSet>(
    f: &Frame<'_>,
    kind: Kind,
    sender_is_member: bool,
    bytes: &[u8],
) -> Result<Header, DecodeError> {
    let h = bytes.get(..HEADER_BYTES).ok_or(DecodeError::WrongLength {
        expected: HEADER_BYTES,
        got: bytes.len(),
    })?;
    let check = |expected: u8, got: u8, e: fn(u8, u8) -> DecodeError| {
        if expected == got {
            Ok(())
        } else {
            Err(e(expected, got))
        }
    };
    check(VERSION, h[0], |expected, got| DecodeError::WrongVersion {
        expected,
        got,
    })?;
    check(kind as u8, h[1], |expected, got| DecodeError::WrongKind {
        expected,
        got,
    })?;
    check(P::ID, h[2], |expected, got| DecodeError::WrongParamSet {
        expected,
        got,
    })?;
    if (h[4], h[5]) != f.shape() {
        return Err(DecodeError::WrongCommittee {
            expected: f.shape(),
            got: (h[4], h[5]),
        });
    }
    let l = usize::from(u16::from_le_bytes([h[6], h[7]]));
    if l != f.chunks {
        return Err(DecodeError::WrongChunkCount {
            expected: f.chunks,
            got: l,
        });
    }
    if h[8..HEADER_BYTES] != f.epoch.id() {
        return Err(DecodeError::WrongEpoch);
    }
    let sender = h[3];
    let member_ok = bit(sender) & f.committee().all() != 0;
    if member_ok != sender_is_member || (!sender_is_member && sender != 0) {
        return Err(DecodeError::MemberIndex { index: sender });
    }
    Ok(Header { kind: h[1], sender })
}

fn check_len(expected: usize, bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(DecodeError::WrongLength {
            expected,
            got: bytes.len(),
        })
    }
}

fn check_out(expected: usize, out: &[u8]) -> Result<(), EncodeError> {
    if out.len() == expected {
        Ok(())
    } else {
        Err(EncodeError::WrongBufferLength {
            expected,
            got: out.len(),
        })
    }
}

fn check_polys(expected: usize, got: usize) -> Result<(), EncodeError> {
    if expected == got {
        Ok(())
    } else {
        Err(EncodeError::WrongBufferLength { expected, got })
    }
}

fn encode_polys<P: ParamSet, const N: usize>(polys: &[Poly<P::M, N>], out: &mut [u8]) {
    for (p, o) in polys
        .iter()
        .zip(out.chunks_exact_mut(poly_bytes::<P::M>(N)))
    {
        encode_poly(p, o);
    }
}

fn decode_polys<P: ParamSet, const N: usize>(
    bytes: &[u8],
    out: &mut [Poly<P::M, N>],
) -> Result<(), DecodeError> {
    for (i, (p, b)) in out
        .iter_mut()
        .zip(bytes.chunks_exact(poly_bytes::<P::M>(N)))
        .enumerate()
    {
        decode_poly(b, i * N, p)?;
    }
    Ok(())
}

// ---- 0x10 commitment ----

/// Encoded size of a key commitment.
pub const COMMITMENT_BYTES: usize = HEADER_BYTES + 32;

/// Writes member `member`'s key commitment `c` (exactly [`COMMITMENT_BYTES`]).
///
/// # Errors
/// [`EncodeError::WrongBufferLength`], [`EncodeError::TooManyChunks`] for L outside 1..=65535.
pub fn encode_commitment<P: ParamSet>(
    f: &Frame<'_>,
    member: u8,
    c: &[u8; 32],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    check_out(COMMITMENT_BYTES, out)?;
    write_header::<P>(f, Kind::Commitment, member, out)?;
    out[HEADER_BYTES..].copy_from_slice(c);
    Ok(())
}

/// Reads a key commitment: (claimed member, commitment).
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongLength`].
pub fn decode_commitment<P: ParamSet>(
    f: &Frame<'_>,
    bytes: &[u8],
) -> Result<(u8, [u8; 32]), DecodeError> {
    let h = read_header::<P>(f, Kind::Commitment, true, bytes)?;
    check_len(COMMITMENT_BYTES, bytes)?;
    let mut c = [0u8; 32];
    c.copy_from_slice(&bytes[HEADER_BYTES..]);
    Ok((h.sender, c))
}

// ---- 0x11 revealed slot shares ----

/// Encoded size of a member's revealed slot shares: header, then C(n, t − 1)·L polynomials b_{i,U,j} in the
/// order u·L + j (slot rank u, chunk j), canonical coefficients.
#[must_use]
pub fn reveal_len<P: ParamSet>(f: &Frame<'_>) -> usize {
    HEADER_BYTES + f.committee().slots() * f.chunks * poly_bytes::<P::M>(P::N)
}

/// Writes member `member`'s revealed slot shares (`shares[u·L + j]`).
///
/// # Errors
/// [`EncodeError::WrongBufferLength`] for `out` or `shares` of another size, [`EncodeError::TooManyChunks`].
pub fn encode_reveal<P: ParamSet, const N: usize>(
    f: &Frame<'_>,
    member: u8,
    shares: &[Poly<P::M, N>],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    const { assert!(N == P::N) };
    check_polys(f.committee().slots() * f.chunks, shares.len())?;
    check_out(reveal_len::<P>(f), out)?;
    write_header::<P>(f, Kind::Reveal, member, out)?;
    encode_polys::<P, N>(shares, &mut out[HEADER_BYTES..]);
    Ok(())
}

/// Reads revealed slot shares into `out` (C(n, t − 1)·L polynomials); returns the claimed member.
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongLength`] (also for an `out` of another size),
/// [`DecodeError::CoefficientOutOfRange`].
pub fn decode_reveal<P: ParamSet, const N: usize>(
    f: &Frame<'_>,
    bytes: &[u8],
    out: &mut [Poly<P::M, N>],
) -> Result<u8, DecodeError> {
    const { assert!(N == P::N) };
    let h = read_header::<P>(f, Kind::Reveal, true, bytes)?;
    check_len(reveal_len::<P>(f), bytes)?;
    let want = f.committee().slots() * f.chunks;
    if out.len() != want {
        return Err(DecodeError::WrongChunkCount {
            expected: out.len(),
            got: want,
        });
    }
    decode_polys::<P, N>(&bytes[HEADER_BYTES..], out)?;
    Ok(h.sender)
}

// ---- 0x12 dealt part seeds ----

/// One dealer's part seeds for one holder, decoded: slot ranks in increasing order and their seeds. Secret
/// (zeroized on drop): it travels only inside the ML-KEM channel.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DealtParts {
    /// The dealer (the header's sender).
    #[zeroize(skip)]
    pub dealer: u8,
    /// The holder they are for.
    #[zeroize(skip)]
    pub holder: u8,
    /// How many entries of `slots`/`seeds` are used (every slot the holder holds, C(n − 1, t − 1)).
    #[zeroize(skip)]
    pub count: usize,
    /// Slot ranks (`Committee::slot` order), increasing.
    #[zeroize(skip)]
    pub slots: [usize; SLOT_CAP],
    /// The part seed of each slot.
    pub seeds: [[u8; SEED_BYTES]; SLOT_CAP],
}

impl core::fmt::Debug for DealtParts {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DealtParts")
            .field("dealer", &self.dealer)
            .field("holder", &self.holder)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// The slots `holder` holds, in rank order.
fn held(c: &Committee, holder: u8) -> impl Iterator<Item = usize> + '_ {
    (0..c.slots()).filter(move |&u| c.holds(holder, u))
}

/// Encoded size of a dealer's parts for one holder: header, holder (1), count (1), then for every slot the
/// holder holds, in rank order, its member mask (u32 LE) and the part seed (32 bytes).
#[must_use]
pub fn dealt_len(f: &Frame<'_>) -> usize {
    let c = f.committee();
    HEADER_BYTES + 2 + held(c, 1).count() * (4 + SEED_BYTES)
}

/// Writes dealer `dealer`'s part seeds for `holder`: `seed(u)` for every slot u the holder holds.
///
/// # Errors
/// [`EncodeError::WrongBufferLength`], [`EncodeError::TooManyChunks`].
pub fn encode_dealt<P: ParamSet>(
    f: &Frame<'_>,
    dealer: u8,
    holder: u8,
    mut seed: impl FnMut(usize) -> [u8; SEED_BYTES],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    check_out(dealt_len(f), out)?;
    write_header::<P>(f, Kind::DealtParts, dealer, out)?;
    let c = f.committee();
    let count = held(c, holder).count();
    out[HEADER_BYTES] = holder;
    // count = C(n − 1, t − 1) ≤ MAX_SLOTS = 64.
    out[HEADER_BYTES + 1] = fit_u8(count as u64);
    for (u, o) in held(c, holder).zip(out[HEADER_BYTES + 2..].chunks_exact_mut(4 + SEED_BYTES)) {
        o[..4].copy_from_slice(&c.slot(u).to_le_bytes());
        let mut s = seed(u);
        o[4..].copy_from_slice(&s);
        s.zeroize();
    }
    Ok(())
}

/// Reads a dealer's part seeds for one holder. Every slot the holder holds must appear once, in rank order, and
/// nothing else (so a dealer cannot hand a holder a part of a slot it is a member of).
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongLength`], [`DecodeError::MemberIndex`] for a holder outside
/// 1..=n, [`DecodeError::SlotMask`] for a wrong count (mask 0) or a mask that is not the next slot the holder
/// holds.
pub fn decode_dealt<P: ParamSet>(f: &Frame<'_>, bytes: &[u8]) -> Result<DealtParts, DecodeError> {
    let h = read_header::<P>(f, Kind::DealtParts, true, bytes)?;
    check_len(dealt_len(f), bytes)?;
    let c = f.committee();
    let holder = bytes[HEADER_BYTES];
    if bit(holder) & c.all() == 0 {
        return Err(DecodeError::MemberIndex { index: holder });
    }
    let count = held(c, holder).count();
    if usize::from(bytes[HEADER_BYTES + 1]) != count {
        return Err(DecodeError::SlotMask { mask: 0 });
    }
    let mut parts = DealtParts {
        dealer: h.sender,
        holder,
        count,
        slots: [0; SLOT_CAP],
        seeds: [[0; SEED_BYTES]; SLOT_CAP],
    };
    let entries = bytes[HEADER_BYTES + 2..].chunks_exact(4 + SEED_BYTES);
    for (i, (u, e)) in held(c, holder).zip(entries).enumerate() {
        let mask = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        if mask != c.slot(u) {
            return Err(DecodeError::SlotMask { mask });
        }
        parts.slots[i] = u;
        parts.seeds[i].copy_from_slice(&e[4..]);
    }
    Ok(parts)
}

// ---- 0x13 present set ----

/// Encoded size of a present set: header (sender 0, the aggregator), round (u64 LE), aggregate binding (32),
/// member mask (u32 LE, bit i − 1 for member i).
pub const PRESENT_BYTES: usize = HEADER_BYTES + 8 + 32 + 4;

/// The aggregator's announcement of who answers one aggregate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresentSet {
    /// The round.
    pub round: u64,
    /// `Aggregate::binding` of the aggregate.
    pub binding: [u8; 32],
    /// The present members.
    pub members: Members,
}

/// Writes a present set (the aggregator is the sender).
///
/// # Errors
/// [`EncodeError::WrongBufferLength`], [`EncodeError::TooManyChunks`].
pub fn encode_present<P: ParamSet>(
    f: &Frame<'_>,
    p: &PresentSet,
    out: &mut [u8],
) -> Result<(), EncodeError> {
    check_out(PRESENT_BYTES, out)?;
    write_header::<P>(f, Kind::PresentSet, 0, out)?;
    let b = &mut out[HEADER_BYTES..];
    b[..8].copy_from_slice(&p.round.to_le_bytes());
    b[8..40].copy_from_slice(&p.binding);
    b[40..].copy_from_slice(&p.members.to_le_bytes());
    Ok(())
}

/// Reads a present set. Whether it has at least t members is the core's check (`Committee::check_present`,
/// `TooFewShares`), not the decoder's.
///
/// # Errors
/// Those of [`read_header`] (the sender must be 0), [`DecodeError::WrongLength`], [`DecodeError::MemberSet`]
/// for members outside 1..=n.
pub fn decode_present<P: ParamSet>(f: &Frame<'_>, bytes: &[u8]) -> Result<PresentSet, DecodeError> {
    read_header::<P>(f, Kind::PresentSet, false, bytes)?;
    check_len(PRESENT_BYTES, bytes)?;
    let b = &bytes[HEADER_BYTES..];
    let (round, binding, members) = round_binding_mask(b);
    if members & !f.committee().all() != 0 {
        return Err(DecodeError::MemberSet { mask: members });
    }
    Ok(PresentSet {
        round,
        binding,
        members,
    })
}

/// (round u64 LE, binding 32, mask u32 LE) from the first 44 bytes of `b`.
fn round_binding_mask(b: &[u8]) -> (u64, [u8; 32], Members) {
    let mut round = [0u8; 8];
    round.copy_from_slice(&b[..8]);
    let mut binding = [0u8; 32];
    binding.copy_from_slice(&b[8..40]);
    let mask = u32::from_le_bytes([b[40], b[41], b[42], b[43]]);
    (u64::from_le_bytes(round), binding, mask)
}

// ---- 0x14 spend receipt ----

/// Encoded size of a spend receipt: header (sender = signer), round (u64 LE), aggregate binding (32), the
/// ML-DSA-65 signature (3,309 bytes).
pub const RECEIPT_BYTES: usize = HEADER_BYTES + 8 + 32 + SIGNATURE_LEN;

/// Writes `receipt` for the aggregate `binding` of `round`.
///
/// # Errors
/// [`EncodeError::WrongBufferLength`], [`EncodeError::TooManyChunks`].
pub fn encode_receipt<P: ParamSet>(
    f: &Frame<'_>,
    round: u64,
    binding: &[u8; 32],
    receipt: &SpendReceipt,
    out: &mut [u8],
) -> Result<(), EncodeError> {
    check_out(RECEIPT_BYTES, out)?;
    write_header::<P>(f, Kind::SpendReceipt, receipt.member, out)?;
    let b = &mut out[HEADER_BYTES..];
    b[..8].copy_from_slice(&round.to_le_bytes());
    b[8..40].copy_from_slice(binding);
    b[40..].copy_from_slice(receipt.signature.as_bytes());
    Ok(())
}

/// Reads a spend receipt: (round, aggregate binding, receipt). The signature is checked by
/// `threshold::check_receipts` against the receiver's own roster, not here.
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongLength`].
pub fn decode_receipt<P: ParamSet>(
    f: &Frame<'_>,
    bytes: &[u8],
) -> Result<(u64, [u8; 32], SpendReceipt), DecodeError> {
    let h = read_header::<P>(f, Kind::SpendReceipt, true, bytes)?;
    check_len(RECEIPT_BYTES, bytes)?;
    let b = &bytes[HEADER_BYTES..];
    let mut round = [0u8; 8];
    round.copy_from_slice(&b[..8]);
    let mut binding = [0u8; 32];
    binding.copy_from_slice(&b[8..40]);
    let signature = Signature::from_bytes(&b[40..]).map_err(|_| DecodeError::WrongLength {
        expected: RECEIPT_BYTES,
        got: bytes.len(),
    })?;
    Ok((
        u64::from_le_bytes(round),
        binding,
        SpendReceipt {
            member: h.sender,
            signature,
        },
    ))
}

// ---- 0x15 share set ----

/// Encoded size of a share set: header (sender = the answering member), round (u64 LE), aggregate binding (32),
/// present set (u32 LE), then L polynomials d_{h,1..L}.
#[must_use]
pub fn share_set_len<P: ParamSet>(f: &Frame<'_>) -> usize {
    HEADER_BYTES + 44 + f.chunks * poly_bytes::<P::M>(P::N)
}

/// What a share set says besides its shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareSetHeader {
    /// The answering member.
    pub member: u8,
    /// The round.
    pub round: u64,
    /// `Aggregate::binding` of the aggregate answered.
    pub binding: [u8; 32],
    /// The present set it was answered for.
    pub present: Members,
}

/// Writes member `h.member`'s shares `shares` (exactly L).
///
/// # Errors
/// [`EncodeError::WrongBufferLength`] for `out` or `shares` of another size, [`EncodeError::TooManyChunks`].
pub fn encode_share_set<P: ParamSet, const N: usize>(
    f: &Frame<'_>,
    h: &ShareSetHeader,
    shares: &[Poly<P::M, N>],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    const { assert!(N == P::N) };
    check_polys(f.chunks, shares.len())?;
    check_out(share_set_len::<P>(f), out)?;
    write_header::<P>(f, Kind::ShareSet, h.member, out)?;
    let b = &mut out[HEADER_BYTES..];
    b[..8].copy_from_slice(&h.round.to_le_bytes());
    b[8..40].copy_from_slice(&h.binding);
    b[40..44].copy_from_slice(&h.present.to_le_bytes());
    encode_polys::<P, N>(shares, &mut b[44..]);
    Ok(())
}

/// Reads a share set into `out` (exactly L polynomials).
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongLength`], [`DecodeError::WrongChunkCount`] for an `out` of
/// another size, [`DecodeError::MemberSet`] for a present set with members outside 1..=n or without the sender,
/// [`DecodeError::CoefficientOutOfRange`].
pub fn decode_share_set<P: ParamSet, const N: usize>(
    f: &Frame<'_>,
    bytes: &[u8],
    out: &mut [Poly<P::M, N>],
) -> Result<ShareSetHeader, DecodeError> {
    const { assert!(N == P::N) };
    let h = read_header::<P>(f, Kind::ShareSet, true, bytes)?;
    check_len(share_set_len::<P>(f), bytes)?;
    if out.len() != f.chunks {
        return Err(DecodeError::WrongChunkCount {
            expected: out.len(),
            got: f.chunks,
        });
    }
    let b = &bytes[HEADER_BYTES..];
    let (round, binding, present) = round_binding_mask(b);
    if present & !f.committee().all() != 0 || present & bit(h.sender) == 0 {
        return Err(DecodeError::MemberSet { mask: present });
    }
    decode_polys::<P, N>(&b[44..], out)?;
    Ok(ShareSetHeader {
        member: h.sender,
        round,
        binding,
        present,
    })
}

// ---- 0x16 share proofs ----

/// Encoded size of a share-proof message with proofs of `lens` bytes: header (sender = the answering member),
/// round (u64 LE), aggregate binding (32), present set (u32 LE), x (1 byte: 0 for a regular answer, the excluded
/// member for a supplementary one, docs/THRESHOLD.md §3.2.1), then per chunk its proof's length (u32 LE) and
/// bytes.
#[must_use]
pub fn share_proofs_len(lens: impl IntoIterator<Item = usize>) -> usize {
    HEADER_BYTES + 45 + lens.into_iter().map(|l| 4 + l).sum::<usize>()
}

/// Writes the proofs (exactly L) of member `h.member`'s answer; `supplement_for` as in [`share_proofs_len`].
///
/// # Errors
/// [`EncodeError::WrongBufferLength`] for `out` or `proofs` of another size, [`EncodeError::TooManyChunks`].
pub fn encode_share_proofs<P: ParamSet>(
    f: &Frame<'_>,
    h: &ShareSetHeader,
    supplement_for: u8,
    proofs: &[&[u8]],
    out: &mut [u8],
) -> Result<(), EncodeError> {
    check_polys(f.chunks, proofs.len())?;
    check_out(share_proofs_len(proofs.iter().map(|p| p.len())), out)?;
    write_header::<P>(f, Kind::ShareProofs, h.member, out)?;
    let b = &mut out[HEADER_BYTES..];
    b[..8].copy_from_slice(&h.round.to_le_bytes());
    b[8..40].copy_from_slice(&h.binding);
    b[40..44].copy_from_slice(&h.present.to_le_bytes());
    b[44] = supplement_for;
    let mut at = 45;
    for p in proofs {
        let len = u32::try_from(p.len()).map_err(|_| EncodeError::WrongBufferLength {
            expected: u32::MAX as usize,
            got: p.len(),
        })?;
        b[at..at + 4].copy_from_slice(&len.to_le_bytes());
        b[at + 4..at + 4 + p.len()].copy_from_slice(p);
        at += 4 + p.len();
    }
    Ok(())
}

/// Reads a share-proof message: `out` (exactly L) receives each chunk's proof bytes (borrowed from `bytes`);
/// returns the answer's header and x.
///
/// # Errors
/// Those of [`read_header`], [`DecodeError::WrongChunkCount`] for an `out` of another size,
/// [`DecodeError::WrongLength`] for a proof of 0 or more than `max_proof` bytes or a total length that is not
/// the sum of its parts, [`DecodeError::MemberSet`] for a present set with members outside 1..=n or without the
/// sender, [`DecodeError::MemberIndex`] for an x outside P or equal to the sender.
pub fn decode_share_proofs<'b, P: ParamSet>(
    f: &Frame<'_>,
    bytes: &'b [u8],
    max_proof: usize,
    out: &mut [&'b [u8]],
) -> Result<(ShareSetHeader, u8), DecodeError> {
    let h = read_header::<P>(f, Kind::ShareProofs, true, bytes)?;
    if out.len() != f.chunks {
        return Err(DecodeError::WrongChunkCount {
            expected: out.len(),
            got: f.chunks,
        });
    }
    let short = |got: usize| DecodeError::WrongLength {
        expected: share_proofs_len(core::iter::repeat_n(1, f.chunks)),
        got,
    };
    let b = bytes
        .get(HEADER_BYTES..HEADER_BYTES + 45)
        .ok_or(short(bytes.len()))?;
    let (round, binding, present) = round_binding_mask(b);
    if present & !f.committee().all() != 0 || present & bit(h.sender) == 0 {
        return Err(DecodeError::MemberSet { mask: present });
    }
    let x = b[44];
    if x != 0 && (present & bit(x) == 0 || x == h.sender) {
        return Err(DecodeError::MemberIndex { index: x });
    }
    let mut at = HEADER_BYTES + 45;
    for o in out.iter_mut() {
        let len = bytes
            .get(at..at + 4)
            .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
            .ok_or(short(bytes.len()))?;
        if len == 0 || len > max_proof {
            return Err(DecodeError::WrongLength {
                expected: max_proof,
                got: len,
            });
        }
        *o = bytes.get(at + 4..at + 4 + len).ok_or(short(bytes.len()))?;
        at += 4 + len;
    }
    check_len(at, bytes)?;
    Ok((
        ShareSetHeader {
            member: h.sender,
            round,
            binding,
            present,
        },
        x,
    ))
}

#[cfg(test)]
mod rev13;
#[cfg(test)]
mod tests;
