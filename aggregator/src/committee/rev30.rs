//! Review 30 (independent; the reviewer did not write the code): the committee's round path after the fixes of
//! R29-1 and R29-2 (commit 4f30b03: every path failure of a combination is said; a member's or the path's words
//! never enter the round's report — log only, quoted and cut to 200 bytes — and a receipt refusal published in
//! `refusals` is cut to 200 bytes) — against §16.4 items 5 and 6, §3.2.1, §4.2, §15.3 and §1 of
//! docs/THRESHOLD.md (§34).
//!
//! R30-1 (INFO, reporting; goal 3): R28-1's fix gave a slot holder's silence its own words only where the
//! relay sees it as silence (an `Err` reply, or one over the design's largest answer). A slot holder that replies
//! with an empty success (`0` and nothing else: `process::parse_reply` makes it `Ok(vec![])`, over HTTP a 200 with
//! that body) is not put among the silent: its empty answer goes to `combine`, where the combiner's check of an
//! empty answer is `Relay` ("member 1 sent no answer …"), and with no cheater in the attempt the round publishes
//! "relayed message refused (the relay is to blame): member 1 sent no answer …" — one malicious member alone, with
//! no help from the path, makes the round blame the relay, which item 6 calls scheduling, not blame (and which
//! R28-1 (c) found and fixed for the same member's `Err` reply). Learning and the count are right (1 demoted,
//! nobody distrusted).
//!
//! Faults are made outside `Member`, as in rev26–rev29: a link that replaces a receipt, an answer or a
//! supplement by a refusal in words the member or the path chose, or an answer by an empty success.
//!
//! After the review (lead): R30-1 is fixed (THRESHOLD §34 "After review 30"); the finding test is no longer
//! ignored and the test that pinned the wording as found is removed.

use std::sync::LazyLock;

use super::fixture::{
    Act, Script, big_stack, ceremony, copy_of, decrypt_exact, published, returned, start_scripted,
};
use super::relay::{Decryption, RelayError};
use super::relay_memory::RelayMemory;
use super::standing::Standing;
use zkfl_core::threshold::slots::bit;

/// Words the member or the path puts in a refusal: 199 ASCII bytes, then two-byte characters, so byte 200 (the
/// relay's cut) falls inside a character; they also name honest member 4 excluded in the words
/// `CommitteeError`'s Display uses for a real exclusion.
fn straddling() -> String {
    let head = "member 4 excluded (Proof { chunk: 0, failure: Proof(Challenge) }); ";
    let mut w = format!("{head}{}", "x".repeat(199 - head.len()));
    w.push_str(&"é".repeat(64));
    w
}

/// [`straddling`], made once: the words of the scripted refusals.
static STRADDLING: LazyLock<String> = LazyLock::new(straddling);

fn refused() -> Act {
    Act::Refuse(STRADDLING.as_str())
}

/// Round 1 of a fresh copy of the committee with `scripts`, then (same relay memory) round 2 with every member
/// honest: both results and the standing saved after round 1.
fn rounds(
    label: &str,
    scripts: &[Script],
) -> (
    Result<Decryption, RelayError>,
    Standing,
    Result<Decryption, RelayError>,
) {
    let d = copy_of(ceremony(), label);
    let mut c = start_scripted(&d, scripts);
    let first = decrypt_exact(&mut c, 1, 3000);
    let key_id = c.record().key_id;
    drop(c);
    let s = RelayMemory::load(&d, &key_id).unwrap().standing;
    let mut c = start_scripted::<Script>(&d, &[]);
    let second = decrypt_exact(&mut c, 2, 3001);
    drop(c);
    let _ = std::fs::remove_dir_all(&d);
    (first, s, second)
}

/// Attempt (goals 3 and 5 through the three places a member's or the path's words reach the relay after R29-2):
/// member 5's receipt, member 2's cheating answer's helper 3's supplement, each replaced by a refusal whose byte
/// 200 falls inside a two-byte character and whose words name honest member 4 excluded. Round 1 (receipt
/// refusal, cheater, refused supplement) returns exactly [2] with a text that does not carry the words; round 2
/// (the refused receipt only, after round 1's memory is stored) decrypts bit-exact and publishes member 5's
/// refusal cut at a character boundary, at most 200 bytes and "…". No panic, honest 3 and 4 not distrusted.
/// Positive controls: the words reach the relay (the link returns them), and a cut at byte 200 without the
/// boundary search panics on them, so the input does hit the cut inside a character.
#[test]
fn r30_attempt_words_straddling_the_cut_neither_panic_nor_blame() {
    let words = straddling();
    assert!(!words.is_char_boundary(200));
    let naive = std::panic::catch_unwind(|| words[..200].len());
    assert!(naive.is_err(), "control: a plain cut at 200 panics");
    big_stack(move || {
        let (first, s, _) = rounds(
            "rev30-a1",
            &[
                Script {
                    receipt: refused(),
                    ..Script::honest(5)
                },
                (2, true, Act::Pass).into(),
                Script {
                    supplement: refused(),
                    ..Script::honest(3)
                },
            ],
        );
        assert_eq!(returned(&first), Some(vec![2]), "{}", published(&first));
        let text = published(&first);
        assert!(
            !text.contains("member 4 excluded") && !text.contains('é'),
            "{text}"
        );
        assert!(
            text.contains("member 3 could not supplement excluded member 2"),
            "{text}"
        );
        assert_eq!(s.distrusted(), bit(2));
        let five = Script {
            receipt: refused(),
            ..Script::honest(5)
        };
        let (done, _, _) = rounds("rev30-a1b", &[five]);
        let done = done.expect("decrypts");
        let r = done
            .refusals
            .iter()
            .find(|r| r.member == 5)
            .expect("5's refusal");
        assert!(r.reason.len() <= 200 + '…'.len_utf8(), "{}", r.reason.len());
        assert!(r.reason.ends_with('…') && words.starts_with(r.reason.trim_end_matches('…')));
    });
}

// ----------------------------------------------------------------------------------------------------------
// R30-1: an empty success from a slot holder is published as the relay's fault.
// ----------------------------------------------------------------------------------------------------------

/// The words `CommitteeError::Relay`'s Display puts before a path failure.
const RELAY_BLAMED: &str = "the relay is to blame";

/// What the round must publish (INFO; item 6: a slot holder that gives no answer signed by itself is unreliable,
/// "scheduling, not blame"; R28-1's fix): slot holder 1 replying with an empty success is reported as a slot
/// holder that did not answer, as its `Err` reply is, not as "the relay is to blame"; and a helper's empty
/// supplement as a helper that did not supplement, not as one "changed or made by the relay".
#[test]
fn r30_1_an_empty_answer_is_reported_as_silence() {
    big_stack(|| {
        let (res, _, _) = rounds("rev30-1", &[(1, false, Act::Empty).into()]);
        let text = published(&res);
        assert!(!text.contains(RELAY_BLAMED), "{text}");
        assert!(
            text.contains("holding slots did not answer (member 1)"),
            "{text}"
        );
    });
}
