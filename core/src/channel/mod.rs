//! Post-quantum channel (docs/CHANNEL.md): ML-KEM envelope with a SHAKE256 KDF and an AEAD, ML-DSA clinic identities.
