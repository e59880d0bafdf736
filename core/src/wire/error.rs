//! Typed errors of every decoder (and the few encoder failures), shared by all wire formats. A decoder
//! never panics on bytes from the network: each malformed input maps to one variant saying what was
//! wrong.

/// Why bytes were rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input has the wrong total length for what its header announces (or is shorter than a header).
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes received.
        got: usize,
    },
    /// Unknown format version.
    WrongVersion {
        /// The version this decoder reads.
        expected: u8,
        /// The version byte received.
        got: u8,
    },
    /// The bytes encode another kind of object (e.g. a public key where a ciphertext was expected).
    WrongKind {
        /// Kind tag expected.
        expected: u8,
        /// Kind tag received.
        got: u8,
    },
    /// The object belongs to another parameter set.
    WrongParamSet {
        /// Parameter-set id expected.
        expected: u8,
        /// Parameter-set id received.
        got: u8,
    },
    /// The object has another number of chunks than the caller's buffers (or the round) require.
    WrongChunkCount {
        /// Chunks expected.
        expected: usize,
        /// Chunks announced.
        got: usize,
    },
    /// A coefficient is not canonical (≥ q).
    CoefficientOutOfRange {
        /// Index of the coefficient in the object (polynomial-major order).
        index: usize,
    },
    /// A committee message of another key epoch, CRS, committee or roster (docs/THRESHOLD.md §15).
    WrongEpoch,
    /// A committee message whose (n, t) is not the receiver's committee.
    WrongCommittee {
        /// n and t expected.
        expected: (u8, u8),
        /// n and t received.
        got: (u8, u8),
    },
    /// A member index outside 1..=n (or a nonzero sender where the aggregator is the sender).
    MemberIndex {
        /// The index received.
        index: u8,
    },
    /// A dealt part names a slot mask that is not a slot of the committee, not held by the holder, or out of
    /// canonical (increasing) order, or the holder's slots are not all there.
    SlotMask {
        /// The mask received (0 for a wrong count).
        mask: u32,
    },
    /// A member set (present set) with members outside the committee.
    MemberSet {
        /// The mask received.
        mask: u32,
    },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::WrongLength { expected, got } => {
                write!(f, "wrong length: expected {expected} bytes, got {got}")
            }
            Self::WrongVersion { expected, got } => {
                write!(f, "unsupported version {got} (expected {expected})")
            }
            Self::WrongKind { expected, got } => {
                write!(f, "wrong object kind {got} (expected {expected})")
            }
            Self::WrongParamSet { expected, got } => {
                write!(f, "wrong parameter set {got} (expected {expected})")
            }
            Self::WrongChunkCount { expected, got } => {
                write!(f, "wrong chunk count {got} (expected {expected})")
            }
            Self::CoefficientOutOfRange { index } => {
                write!(f, "coefficient {index} is not reduced mod q")
            }
            Self::WrongEpoch => {
                f.write_str("committee message of another key epoch, CRS, committee or roster")
            }
            Self::WrongCommittee { expected, got } => write!(
                f,
                "committee message for a {}-of-{} committee (expected {}-of-{})",
                got.1, got.0, expected.1, expected.0
            ),
            Self::MemberIndex { index } => {
                write!(f, "member index {index} is outside the committee")
            }
            Self::SlotMask { mask } => write!(
                f,
                "dealt part for slot mask {mask:#b}: not a slot this holder holds, repeated or out of order"
            ),
            Self::MemberSet { mask } => {
                write!(
                    f,
                    "member set {mask:#b} names members outside the committee"
                )
            }
        }
    }
}

/// Why an encoding could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer has the wrong size.
    WrongBufferLength {
        /// Bytes needed.
        expected: usize,
        /// Bytes provided.
        got: usize,
    },
    /// More chunks than the format's u16 count field allows.
    TooManyChunks {
        /// Chunks requested.
        chunks: usize,
    },
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::WrongBufferLength { expected, got } => {
                write!(f, "output buffer has {got} bytes, {expected} needed")
            }
            Self::TooManyChunks { chunks } => {
                write!(f, "{chunks} chunks exceed the format limit of 65535")
            }
        }
    }
}
