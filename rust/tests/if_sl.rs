//! SLIP framing (`slstart`, `slinput`): any datagram survives encoding
//! and decoding, and no line noise panics or leaks a bad frame upward.

use bsdinet::bsd::net::if_sl::*;
use bsdinet::platform::Vec as PVec;
use proptest::prelude::*;

fn encode(pkt: &[u8], idle: bool) -> Vec<u8> {
    let mut out = PVec::new();
    sl_encode(pkt, idle, &mut out).unwrap();
    out.to_vec()
}

/// Feeds `line` to `d`: the frames delivered, and the errors seen.
fn decode(d: &mut SlDecoder, line: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let (mut frames, mut errors) = (Vec::new(), 0);
    for &c in line {
        match d.input(c) {
            SlInput::Frame(f) => frames.push(f.to_vec()),
            SlInput::Error => errors += 1,
            SlInput::More => {}
        }
    }
    (frames, errors)
}

#[test]
fn escapes_as_rfc1055() {
    let pkt = [0x45, FRAME_END, 1, FRAME_ESCAPE, 2];
    assert_eq!(
        encode(&pkt, true),
        [
            FRAME_END,
            0x45,
            FRAME_ESCAPE,
            TRANS_FRAME_END,
            1,
            FRAME_ESCAPE,
            TRANS_FRAME_ESCAPE,
            2,
            FRAME_END
        ]
    );
    // Not idle: no opening END.
    assert_eq!(encode(&[1, 2, 3], false), [1, 2, 3, FRAME_END]);
    let mut d = SlDecoder::new().unwrap();
    assert_eq!(decode(&mut d, &encode(&pkt, true)), (vec![pkt.to_vec()], 0));
}

#[test]
fn short_frames_are_ignored_and_long_ones_are_errors() {
    let mut d = SlDecoder::new().unwrap();
    // Fewer than 3 bytes: ignored, as the book (not an error).
    assert_eq!(decode(&mut d, &[FRAME_END, 1, 2, FRAME_END]), (vec![], 0));
    // Longer than SLMAX: one error, and the next frame is whole.
    let mut line = vec![0x45; SLMAX + 10];
    line.push(FRAME_END);
    line.extend_from_slice(&encode(&[7, 8, 9], false));
    assert_eq!(decode(&mut d, &line), (vec![vec![7, 8, 9]], 1));
    assert_eq!(d.ierrors, 1);
    // Exactly SLMAX fits.
    let max = vec![0x45; SLMAX];
    assert_eq!(decode(&mut d, &encode(&max, true)), (vec![max], 0));
}

#[test]
fn escape_before_end_is_an_error() {
    let mut d = SlDecoder::new().unwrap();
    assert_eq!(decode(&mut d, &[1, 2, 3, FRAME_ESCAPE, FRAME_END]), (vec![], 1));
    // An escape before any other byte keeps the byte (the book's way).
    assert_eq!(decode(&mut d, &[1, 2, FRAME_ESCAPE, 9, FRAME_END]), (vec![vec![1, 2, 9]], 0));
}

#[test]
fn a_line_that_goes_quiet_mid_frame() {
    let mut d = SlDecoder::new().unwrap();
    decode(&mut d, &[1, 2, 3, 4]);
    d.flush();
    assert_eq!(d.ierrors, 1);
    // The next frame is not glued to the old bytes.
    assert_eq!(decode(&mut d, &encode(&[5, 6, 7], true)), (vec![vec![5, 6, 7]], 0));
    // Quiet between frames is not an error.
    d.flush();
    assert_eq!(d.ierrors, 1);
}

proptest! {
    /// Any sequence of datagrams survives, back to back or with idle
    /// ENDs between them.
    #[test]
    fn datagrams_round_trip(pkts in prop::collection::vec(
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x45, FRAME_END, FRAME_ESCAPE, TRANS_FRAME_END, TRANS_FRAME_ESCAPE, 0xff]), 3..400), 1..8),
        idle in any::<bool>())
    {
        let mut line = Vec::new();
        for p in &pkts {
            line.extend(encode(p, idle));
        }
        let mut d = SlDecoder::new().unwrap();
        let (frames, errors) = decode(&mut d, &line);
        prop_assert_eq!(errors, 0);
        prop_assert_eq!(frames, pkts);
    }

    /// Noise never panics, every frame delivered is at least 3 bytes and
    /// at most SLMAX, and a clean frame after the noise gets through.
    #[test]
    fn noise_is_safe(noise in prop::collection::vec(any::<u8>(), 0..5000)) {
        let mut d = SlDecoder::new().unwrap();
        let (frames, _) = decode(&mut d, &noise);
        prop_assert!(frames.iter().all(|f| f.len() >= 3 && f.len() <= SLMAX));
        let (after, _) = decode(&mut d, &encode(&[0x45, 0, 1, 2], true));
        prop_assert_eq!(after.last(), Some(&vec![0x45, 0, 1, 2]));
    }
}
