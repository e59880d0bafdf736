//! Declassification points for the constant-time check (docs/CONSTANT_TIME.md).
//!
//! The prover calls [`declassify`] / [`declassify_bool`] exactly where the protocol makes a value public
//! (a message absorbed into the transcript, an accept bit, a refusal, a discarded candidate, the proof).
//! In a normal build they are `#[inline(always)]` no-ops: no code, no effect on the proof bytes.
//!
//! With the non-default feature `valgrind-ct` on x86_64 they issue the memcheck client request
//! `VALGRIND_MAKE_MEM_DEFINED` on the bytes of the value, so the taint harness `ct-check/` (which marks the
//! witness and every RNG byte *undefined*) stops tracking it from there on, and every other branch on a
//! secret is reported. The request is valgrind.h's amd64 "magic sequence" in inline asm: a no-op on bare
//! hardware. This is the only unsafe code of the crate (`#![deny(unsafe_code)]`, allowed on the one item
//! below), and it exists only with that feature.
//!
//! With the feature, the submodule `vg` also exposes the client requests the harness needs to mark secrets.

/// Marks the bytes of `x` public for the constant-time check (no-op unless feature `valgrind-ct`).
#[inline(always)]
pub fn declassify<T: ?Sized>(x: &T) {
    #[cfg(all(feature = "valgrind-ct", target_arch = "x86_64"))]
    vg::make_defined(x);
    #[cfg(not(all(feature = "valgrind-ct", target_arch = "x86_64")))]
    let _ = x;
}

/// `b`, marked public for the constant-time check (identity unless feature `valgrind-ct`).
#[inline(always)]
#[must_use]
pub fn declassify_bool(b: bool) -> bool {
    #[cfg(all(feature = "valgrind-ct", target_arch = "x86_64"))]
    {
        // Through memory: the request marks the byte, the barrier makes the compiler re-read it.
        let v = core::hint::black_box(b);
        vg::make_defined(&v);
        core::hint::black_box(v)
    }
    #[cfg(not(all(feature = "valgrind-ct", target_arch = "x86_64")))]
    b
}

/// Memcheck client requests (valgrind.h / memcheck.h, amd64), hand-written: no C toolchain needed.
/// Every request is a no-op when the process does not run under valgrind.
#[cfg(all(feature = "valgrind-ct", target_arch = "x86_64"))]
pub mod vg {
    /// VG_USERREQ__RUNNING_ON_VALGRIND.
    const RUNNING_ON_VALGRIND: u64 = 0x1001;
    /// VG_USERREQ_TOOL_BASE('M', 'C').
    const MC_BASE: u64 = (b'M' as u64) << 24 | (b'C' as u64) << 16;
    /// VG_USERREQ__MAKE_MEM_UNDEFINED.
    const MAKE_MEM_UNDEFINED: u64 = MC_BASE + 1;
    /// VG_USERREQ__MAKE_MEM_DEFINED.
    const MAKE_MEM_DEFINED: u64 = MC_BASE + 2;
    /// VG_USERREQ__GET_VBITS.
    const GET_VBITS: u64 = MC_BASE + 8;

    /// One client request: `args[0]` is the request code, `args[1..]` its arguments; returns `default`
    /// when not running under valgrind. The "magic sequence" of valgrind.h: four rotations of rdi that
    /// add up to 128 bits (rdi unchanged) and `xchg rbx, rbx`; valgrind's JIT recognises it, reads the
    /// argument block at rax and puts the result in rdx. On bare hardware it does nothing.
    ///
    /// The asm is not `nomem`: the compiler must assume memory changed, so values marked by a request
    /// are re-read from memory afterwards (and the request is never removed or moved across accesses).
    #[allow(unsafe_code)]
    #[inline(always)]
    fn request(default: u64, args: [u64; 6]) -> u64 {
        let args = core::hint::black_box(args);
        let mut result = default;
        // SAFETY: the sequence leaves every register but rdx (an output) and the flags unchanged and
        // writes no memory the program can observe (valgrind only changes its shadow state, or writes
        // the V-bits buffer of GET_VBITS, which the caller owns mutably); the argument block lives until
        // the instruction ends.
        unsafe {
            core::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                inout("rdx") result,
                in("rax") args.as_ptr(),
                options(nostack),
            );
        }
        result
    }

    /// Whether the process runs under valgrind.
    #[must_use]
    pub fn running() -> bool {
        request(0, [RUNNING_ON_VALGRIND, 0, 0, 0, 0, 0]) != 0
    }

    /// Marks the bytes of `x` undefined (secret).
    pub fn make_undefined<T: ?Sized>(x: &T) {
        let (p, n) = (core::ptr::from_ref(x).cast::<u8>(), size_of_val(x));
        request(0, [MAKE_MEM_UNDEFINED, p as u64, n as u64, 0, 0, 0]);
    }

    /// Marks the bytes of `x` defined (public).
    #[inline(always)]
    pub fn make_defined<T: ?Sized>(x: &T) {
        let (p, n) = (core::ptr::from_ref(x).cast::<u8>(), size_of_val(x));
        request(0, [MAKE_MEM_DEFINED, p as u64, n as u64, 0, 0, 0]);
    }

    /// Number of bytes of `x` with at least one undefined bit (0 outside valgrind).
    #[must_use]
    pub fn undefined_bytes<T: ?Sized>(x: &T) -> usize {
        let (p, n) = (core::ptr::from_ref(x).cast::<u8>() as u64, size_of_val(x));
        let mut vbits = [0u8; 256];
        let mut count = 0;
        let mut off = 0;
        while off < n {
            let len = (n - off).min(vbits.len());
            let r = request(
                0,
                [
                    GET_VBITS,
                    p + off as u64,
                    vbits.as_mut_ptr() as u64,
                    len as u64,
                    0,
                    0,
                ],
            );
            if r != 1 {
                return 0;
            }
            count += vbits[..len].iter().filter(|&&v| v != 0).count();
            off += len;
        }
        count
    }
}
