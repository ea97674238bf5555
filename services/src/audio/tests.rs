use super::*;

/// A small deterministic PRNG (xorshift64*) for fuzz-ish inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn le_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

fn i16s(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Packets stored as u16 LE length + bytes (see testdata/make_fixtures.py).
fn packets(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 <= bytes.len() {
        let n = u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
        out.push(&bytes[i + 2..i + 2 + n]);
        i += 2 + n;
    }
    out
}

fn snr_db(reference: &[i16], decoded: &[i16]) -> f64 {
    let (mut signal, mut noise) = (0f64, 0f64);
    for (r, d) in reference.iter().zip(decoded) {
        signal += (*r as f64).powi(2);
        noise += (*r as f64 - *d as f64).powi(2);
    }
    10.0 * (signal / noise.max(1e-9)).log10()
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// A speech-like test signal: a few harmonics with a slow amplitude envelope.
fn tone(n: usize, rate: u32) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            let x: f64 = [(220.0, 0.5), (440.0, 0.3), (1320.0, 0.2)]
                .iter()
                .map(|(f, a)| a * (2.0 * std::f64::consts::PI * f * t).sin())
                .sum();
            (x * env * 12000.0) as i16
        })
        .collect()
}

#[test]
fn codec_wire_names() {
    for (name, codec) in [
        ("pcm8", Codec::Pcm8),
        ("pcm16", Codec::Pcm16),
        ("opus", Codec::Opus),
        ("opus_fs320", Codec::OpusFs320),
    ] {
        assert_eq!(Codec::parse(name), Some(codec));
        assert_eq!(codec.as_str(), name);
        assert_eq!(codec.to_string(), name);
    }
    for name in ["aac", "lc3", "lc3_fs1030", "", "PCM16", "opus_fs160", "pcm"] {
        assert_eq!(Codec::parse(name), None, "{name}");
    }
    assert_eq!(Codec::Opus.frame_samples(), Some(160));
    assert_eq!(Codec::OpusFs320.frame_samples(), Some(320));
    assert_eq!(Codec::Pcm16.frame_samples(), None);
    assert!(Codec::OpusFs320.is_opus() && !Codec::Pcm8.is_opus());
}

#[test]
fn decoder_new_validates_rate_and_channels() {
    let err = Decoder::new(Codec::Opus, 8000, 1).unwrap_err();
    assert!(matches!(
        err,
        AudioError::UnsupportedSampleRate {
            sample_rate: 8000,
            ..
        }
    ));
    let message = err.to_string();
    assert!(
        message.contains("16000") && message.contains("8000"),
        "{message}"
    );
    assert!(Decoder::new(Codec::OpusFs320, 48_000, 1).is_err());
    assert!(Decoder::new(Codec::Opus, 16_000, 3).is_err());
    assert!(Decoder::new(Codec::Pcm16, 0, 1).is_err());
    assert!(Decoder::new(Codec::Pcm16, 16_000, 0).is_err());
    assert!(Decoder::new(Codec::Pcm8, 8000, 9).is_err());
    for codec in [Codec::Pcm8, Codec::Pcm16] {
        for rate in [8000, 16_000, 44_100, 48_000] {
            let d = Decoder::new(codec, rate, 2).unwrap();
            assert_eq!((d.codec(), d.sample_rate(), d.channels()), (codec, rate, 2));
        }
    }
    assert!(Decoder::new(Codec::Opus, 16_000, 2).is_ok());
}

#[test]
fn pcm_is_raw_little_endian_with_carry_over() {
    let samples: Vec<i16> = vec![0, 1, -1, 12345, -32768, 32767, 256, -2];
    let bytes = le_bytes(&samples);
    for codec in [Codec::Pcm8, Codec::Pcm16] {
        let mut d = Decoder::new(codec, 16_000, 1).unwrap();
        assert_eq!(d.decode(&bytes).unwrap(), samples);
        // An odd split: the trailing byte waits for the next frame.
        let mut d = Decoder::new(codec, 8000, 1).unwrap();
        let first = d.decode(&bytes[..5]).unwrap();
        assert_eq!(first, &samples[..2]);
        let second = d.decode(&bytes[5..]).unwrap();
        assert_eq!(second, &samples[2..]);
        // Split at every possible place, in three parts.
        for a in 3..bytes.len() - 3 {
            let mut d = Decoder::new(codec, 8000, 1).unwrap();
            let mut out = d.decode(&bytes[..a]).unwrap();
            out.extend(d.decode(&bytes[a..]).unwrap());
            assert_eq!(out, samples, "split at {a}");
        }
    }
}

#[test]
fn pcm_multichannel_is_downmixed() {
    // Stereo: L, R interleaved.
    let interleaved: Vec<i16> = vec![100, 300, -100, -300, 32767, 32767, -32768, -32768, 1, 0];
    let mut d = Decoder::new(Codec::Pcm16, 16_000, 2).unwrap();
    assert_eq!(
        d.decode(&le_bytes(&interleaved)).unwrap(),
        vec![200, -200, 32767, -32768, 0]
    );
    // A partial stereo frame (3 of 4 bytes) is carried over.
    let bytes = le_bytes(&interleaved);
    let mut d = Decoder::new(Codec::Pcm16, 16_000, 2).unwrap();
    assert_eq!(d.decode(&bytes[..7]).unwrap(), vec![200]);
    assert_eq!(d.decode(&bytes[7..]).unwrap(), vec![-200, 32767, -32768, 0]);
    // Three channels.
    let mut d = Decoder::new(Codec::Pcm8, 8000, 3).unwrap();
    assert_eq!(
        d.decode(&le_bytes(&[3, 6, 9, -3, -3, -3])).unwrap(),
        vec![6, -3]
    );
}

#[test]
fn keepalive_frames_are_harmless() {
    for codec in [Codec::Pcm8, Codec::Pcm16, Codec::Opus, Codec::OpusFs320] {
        let mut d = Decoder::new(codec, 16_000, 1).unwrap();
        for frame in [&[][..], &[0][..], &[0, 0][..], &[0xff, 0x7f][..]] {
            assert_eq!(d.decode(frame).unwrap(), Vec::<i16>::new(), "{codec}");
        }
    }
    // A keepalive between two halves of a PCM stream does not disturb the carried-over byte.
    let mut d = Decoder::new(Codec::Pcm16, 16_000, 1).unwrap();
    assert_eq!(d.decode(&[1, 0, 2]).unwrap(), vec![1]);
    assert!(d.decode(&[9]).unwrap().is_empty());
    assert_eq!(d.decode(&[0, 3, 0]).unwrap(), vec![2, 3]);
}

fn check_libopus_fixture(codec: Codec, packet_bytes: &[u8], reference: &[u8]) {
    let reference = i16s(reference);
    let mut d = Decoder::new(codec, 16_000, 1).unwrap();
    let mut decoded = Vec::new();
    for packet in packets(packet_bytes) {
        let pcm = d.decode(packet).unwrap();
        assert_eq!(pcm.len(), codec.frame_samples().unwrap());
        decoded.extend(pcm);
    }
    assert_eq!(decoded.len(), reference.len());
    let snr = snr_db(&reference, &decoded);
    assert!(
        snr > 40.0,
        "{codec}: decoded differs from libopus: SNR {snr:.1} dB"
    );
    assert!(rms(&decoded) > 300.0, "{codec}: no speech decoded");
}

/// Packets encoded by libopus itself, decoded as libopus decodes them (testdata/make_fixtures.py).
#[test]
fn opus_decodes_libopus_packets_like_libopus() {
    check_libopus_fixture(
        Codec::Opus,
        include_bytes!("testdata/libopus_fs160.packets"),
        include_bytes!("testdata/libopus_fs160.pcm"),
    );
    check_libopus_fixture(
        Codec::OpusFs320,
        include_bytes!("testdata/libopus_fs320.packets"),
        include_bytes!("testdata/libopus_fs320.pcm"),
    );
}

/// Encode with the opus-rs encoder, decode, compare with the input (allowing for the codec's delay).
#[test]
fn opus_round_trip_through_the_pure_rust_encoder() {
    let input = tone(16_000, 16_000);
    for (codec, frame) in [(Codec::Opus, 160), (Codec::OpusFs320, 320)] {
        let mut enc =
            opus_rs::OpusEncoder::new(16_000, 1, opus_rs::Application::Voip).expect("encoder");
        enc.bitrate_bps = 32_000;
        let mut d = Decoder::new(codec, 16_000, 1).unwrap();
        let mut out = vec![0u8; 1500];
        let mut decoded = Vec::new();
        for chunk in input.chunks_exact(frame) {
            let n = enc.encode_i16(chunk, frame, &mut out).expect("encode");
            decoded.extend(d.decode(&out[..n]).unwrap());
        }
        assert_eq!(decoded.len(), input.len());
        let best = (0..400)
            .map(|lag| snr_db(&input[..input.len() - 400], &decoded[lag..]))
            .fold(f64::MIN, f64::max);
        assert!(best > 6.0, "{codec}: round trip SNR {best:.1} dB");
    }
}

#[test]
fn corrupt_opus_frames_are_errors_for_that_frame_only() {
    let fixture = packets(include_bytes!("testdata/libopus_fs320.packets"));
    let mut rng = Rng(0x5eed);
    let mut d = Decoder::new(Codec::OpusFs320, 16_000, 1).unwrap();
    let mut errors = 0;
    for round in 0..1000 {
        let len = 3 + rng.below(if round % 10 == 0 { 3000 } else { 200 });
        let mut frame = rng.bytes(len);
        if round % 3 == 0 {
            // Valid-looking packets with a flipped byte or truncated.
            let good = fixture[rng.below(fixture.len())];
            frame = good.to_vec();
            let i = rng.below(frame.len());
            frame[i] ^= 1 << rng.below(8);
            if round % 2 == 0 {
                frame.truncate(1 + rng.below(frame.len()));
            }
        }
        match d.decode(&frame) {
            Ok(pcm) => assert!(pcm.len() <= OPUS_MAX_FRAME),
            Err(e) => {
                errors += 1;
                assert!(e.to_string().contains("opus_fs320"), "{e}");
            }
        }
    }
    assert!(
        errors > 0,
        "random bytes should be refused at least sometimes"
    );
    // The decoder is still usable: real packets decode into speech again.
    let mut decoded = Vec::new();
    for packet in &fixture {
        decoded.extend(d.decode(packet).unwrap());
    }
    assert_eq!(decoded.len(), 16_000);
    assert!(rms(&decoded[8000..]) > 300.0);
}

#[test]
fn random_pcm_frames_never_panic_and_keep_every_byte() {
    let mut rng = Rng(42);
    for channels in 1..=4u16 {
        let mut d = Decoder::new(Codec::Pcm16, 16_000, channels).unwrap();
        let mut bytes_in = 0;
        let mut samples_out = 0;
        for _ in 0..500 {
            let len = rng.below(700);
            let frame = rng.bytes(len);
            if frame.len() > KEEPALIVE_MAX_BYTES {
                bytes_in += frame.len();
            }
            samples_out += d.decode(&frame).unwrap().len();
        }
        assert_eq!(samples_out, bytes_in / (2 * channels as usize));
    }
}

#[test]
fn wav_bytes_writes_a_canonical_riff_file() {
    let samples: Vec<i16> = vec![0, 1, -1, 32767, -32768];
    let wav = wav_bytes(&samples, 16_000);
    assert_eq!(wav.len(), 44 + 10);
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()), 36 + 10);
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u32::from_le_bytes(wav[16..20].try_into().unwrap()), 16);
    assert_eq!(u16::from_le_bytes([wav[20], wav[21]]), 1); // PCM
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1); // mono
    assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 16_000);
    assert_eq!(u32::from_le_bytes(wav[28..32].try_into().unwrap()), 32_000);
    assert_eq!(u16::from_le_bytes([wav[32], wav[33]]), 2);
    assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16);
    assert_eq!(&wav[36..40], b"data");
    assert_eq!(u32::from_le_bytes(wav[40..44].try_into().unwrap()), 10);
    assert_eq!(i16s(&wav[44..]), samples);
    assert_eq!(wav_bytes(&[], 8000).len(), 44);
}

#[test]
fn decoder_is_send() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Decoder>();
    assert_send::<AudioError>();
}
