//! What the device measures about itself: peak RAM by stack painting, and executed instructions through
//! SysTick under QEMU's `-icount shift=0`.
//!
//! * RAM: the statics (.data, .bss, .uninit) are the bytes from the start of RAM to `_stack_end`
//!   (cortex-m-rt's linker symbols). The stack grows down from `_stack_start` towards `_stack_end`; [`paint`]
//!   fills the unused part with a pattern, and [`stack_peak`] finds the lowest word that no longer holds it.
//!   Peak RAM = statics + peak stack (there is no heap).
//! * Instructions: with `-icount shift=0` QEMU advances virtual time by 1 ns per executed instruction, and
//!   SysTick (processor clock, 25 MHz on mps2-an386) counts down once per 40 ns, i.e. once per 40
//!   instructions. [`Clock`] counts SysTick wraps in its exception, so `ticks × 40` is the instruction count
//!   with a resolution of 40 instructions. QEMU does not model the DWT cycle counter, and its semihosting
//!   clocks are host wall time, so this is the one deterministic counter the board offers.

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

/// The painted pattern.
const PAINT: u32 = 0xC0DE_F00D;
/// Bytes below the painting function's own stack pointer left unpainted (its frame and the calls it makes).
const MARGIN: usize = 256;
/// SysTick clock (processor clock of mps2-an386 in QEMU).
pub const SYSCLK_HZ: u64 = 25_000_000;
/// Instructions per SysTick tick under `-icount shift=0` (1 ns per instruction).
pub const INSNS_PER_TICK: u64 = 1_000_000_000 / SYSCLK_HZ;
const RELOAD: u32 = 0x00FF_FFFF;

unsafe extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
    static __sdata: u32;
}

fn addr(sym: &u32) -> usize {
    core::ptr::from_ref(sym) as usize
}

/// Bytes of statics (.data + .bss + .uninit).
pub fn static_bytes() -> usize {
    // SAFETY: only the addresses of the linker symbols are taken.
    unsafe { addr(&_stack_end) - addr(&__sdata) }
}

/// Bytes between the stack's top and its lowest allowed address (`_stack_end`).
pub fn stack_capacity() -> usize {
    // SAFETY: only the addresses of the linker symbols are taken.
    unsafe { addr(&_stack_start) - addr(&_stack_end) }
}

/// Bytes of stack in use at the call (from the stack's top to the caller's frame): at a stage boundary,
/// the buffers the pipeline holds across stages.
#[inline(never)]
pub fn stack_depth() -> usize {
    // SAFETY: only the symbol's address is taken.
    let top = unsafe { addr(&_stack_start) };
    top - cortex_m::register::msp::read() as usize
}

/// Fills the free stack below the current frame with the pattern.
#[inline(never)]
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    // SAFETY: only the symbol's address is taken.
    let lo = unsafe { addr(&_stack_end) };
    let mut p = lo;
    while p + 4 <= sp - MARGIN {
        // SAFETY: [lo, sp − MARGIN) is free stack below every live frame: nothing reads it until it is
        // used as stack again, which overwrites the pattern.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// The deepest stack use since [`paint`], in bytes from the stack's top.
#[inline(never)]
pub fn stack_peak() -> usize {
    // SAFETY: only the symbols' addresses are taken.
    let (lo, top) = unsafe { (addr(&_stack_end), addr(&_stack_start)) };
    let mut p = lo;
    // SAFETY: reads of the stack region below the live frames (painted or used, always initialized).
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// The SysTick instruction counter.
pub struct Clock;

impl Clock {
    /// Starts SysTick from its reload value with the wrap interrupt on.
    pub fn start(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        // The current value reads 0 until the first reload: wait for it, so the first reading is 0.
        while SYST::get_current() == 0 {}
        Self
    }

    /// Instructions executed since [`Clock::start`] (multiple of [`INSNS_PER_TICK`]).
    pub fn instructions(&self) -> u64 {
        loop {
            let w = WRAPS.load(Ordering::Relaxed);
            let cur = SYST::get_current();
            // 0 is the instant of a wrap, before or after the exception counted it: read again.
            if cur != 0 && WRAPS.load(Ordering::Relaxed) == w {
                let ticks = u64::from(w) * (u64::from(RELOAD) + 1) + u64::from(RELOAD - cur);
                return ticks * INSNS_PER_TICK;
            }
        }
    }
}

/// Iterations of the calibration loop (two instructions each: `subs`, `bne`).
pub const CALIBRATION_LOOPS: u32 = 1_000_000;

/// Counts a loop of exactly 2 × [`CALIBRATION_LOOPS`] instructions: checks the counter's scale on this QEMU
/// (expected 2,000,000 within a tick or two).
#[inline(never)]
pub fn calibrate(clock: &Clock) -> u64 {
    let t0 = clock.instructions();
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) CALIBRATION_LOOPS => _,
            options(nomem, nostack),
        );
    }
    clock.instructions() - t0
}
