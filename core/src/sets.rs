//! One module per parameter set (docs/BFV.md "Parameter sets"), as RustCrypto `ml-kem` has one per security
//! level: each names its set once and fixes the sizes generic code takes as const parameters, so a caller
//! writes `set_s::PublicKey` instead of `PublicKeyPolys<SetS, 2048, 2>` and never restates N or K.
//!
//! K, the number of auxiliary NTT primes of a ternary × uniform product mod q (`bfv::ternary_product_primes`),
//! is computed here and nowhere else. The generic code below (`bfv`, `zk`, `threshold`) keeps its
//! `<P, N, K>` parameters, checked at compile time against these values (`bfv::keys::check_params`), because
//! stable Rust cannot yet size an array by an associated constant.
//!
//! The derived numbers of every set are listed by `derived::table` and checked against the committed
//! `core/src/sets/derived.txt` by the test `sets::derived::tests::committed_table_is_current`.

pub mod derived;

/// Defines one parameter-set module: the set type, its modulus, N, K and aliases of the types sized by them.
macro_rules! parameter_set {
    ($(#[$doc:meta])* $module:ident, $set:ident) => {
        $(#[$doc])*
        pub mod $module {
            /// The parameter set (`params::ParamSet`).
            pub type Set = crate::params::$set;
            /// The prime modulus q of the set (BFV and proof).
            pub type M = <Set as crate::params::ParamSet>::M;
            /// Ring degree of the BFV ring Z_q[X]/(X^N + 1).
            pub const N: usize = <Set as crate::params::ParamSet>::N;
            /// Auxiliary NTT primes of a ternary × uniform product mod q (a·s_j, b_j·u, c1·s_j): the one place
            /// K is computed.
            pub const K: usize = crate::bfv::ternary_product_primes(N, <M as crate::arith::Modulus>::BITS);
            /// Bytes of one coefficient mod q on the wire.
            pub const COEFF_BYTES: usize = <M as crate::arith::Modulus>::BYTES;
            /// A polynomial of the BFV ring.
            pub type Poly = crate::ring::Poly<M, N>;
            /// The BFV secret key (a seed; the polynomials are re-derived).
            pub type SecretKey = crate::bfv::SecretKey<Set, N>;
            /// Streaming BFV encryption under the public key in NTT form.
            pub type Encryptor = crate::bfv::Encryptor<Set, N, K>;
            /// Decryption with a borrowed secret key.
            pub type Decryptor<'k> = crate::bfv::Decryptor<'k, Set, N, K>;
            /// The public key in coefficient and NTT form (`alloc`).
            #[cfg(feature = "alloc")]
            pub type PublicKey = crate::bfv::PublicKeyPolys<Set, N, K>;
            /// One encryption's ciphertext and randomness (`alloc`).
            #[cfg(feature = "alloc")]
            pub type Encryption = crate::bfv::Encryption<Set, N>;
        }
    };
}

parameter_set!(
    /// Set S ("clinic"): N = 2048, q = 2^44 − 539, K = 2.
    set_s,
    SetS
);
parameter_set!(
    /// Set L ("consortium"): N = 4096, q = 2^86 − 35, K = 4.
    set_l,
    SetL
);
parameter_set!(
    /// Set XL ("large model"): set L's ring and modulus, proof constants for up to 512 chunks.
    set_xl,
    SetXL
);
