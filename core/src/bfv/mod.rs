//! BFV with coefficient encoding and the multi-message variant (docs/BFV.md): key generation, encryption, addition, decryption.
