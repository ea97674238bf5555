//! Cuts a session's decoded audio into the chunks its user's `audio_bytes` webhooks get (spec §5.4): 16-bit
//! little-endian mono PCM, one chunk per configured number of seconds.

/// The most bytes a chunk holds, whatever the configured seconds (a minute of 16 kHz audio is 1.9 MB): a chunk is
/// held in memory while it fills and posted in one request.
const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// The audio of a session not yet handed over as a chunk.
pub struct AudioChunks {
    bytes_per_chunk: usize,
    buffer: Vec<u8>,
}

impl AudioChunks {
    /// Chunks of `seconds` of audio at `sample_rate` Hz (at most [`MAX_CHUNK_BYTES`]).
    pub fn new(sample_rate: u32, seconds: u32) -> AudioChunks {
        let bytes = (sample_rate as usize)
            .saturating_mul(seconds as usize)
            .saturating_mul(2);
        AudioChunks {
            bytes_per_chunk: bytes.clamp(2, MAX_CHUNK_BYTES),
            buffer: Vec::new(),
        }
    }

    /// Adds decoded samples; the chunks they complete, in order.
    pub fn push(&mut self, samples: &[i16]) -> Vec<Vec<u8>> {
        let mut full = Vec::new();
        for sample in samples {
            self.buffer.extend_from_slice(&sample.to_le_bytes());
            if self.buffer.len() >= self.bytes_per_chunk {
                full.push(std::mem::take(&mut self.buffer));
            }
        }
        full
    }

    /// What is left when the session ends (less than a chunk), if anything.
    pub fn rest(&mut self) -> Option<Vec<u8>> {
        (!self.buffer.is_empty()).then(|| std::mem::take(&mut self.buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::AudioChunks;

    #[test]
    fn samples_become_little_endian_chunks_of_the_configured_length() {
        let mut chunks = AudioChunks::new(4, 1);
        assert!(chunks.push(&[1, -2, 3]).is_empty());
        let full = chunks.push(&[256, 7, 8, 9, 10, 11]);
        assert_eq!(
            full,
            vec![
                vec![1, 0, 0xfe, 0xff, 3, 0, 0, 1],
                vec![7, 0, 8, 0, 9, 0, 10, 0]
            ]
        );
        assert_eq!(chunks.rest(), Some(vec![11, 0]));
        assert_eq!(chunks.rest(), None);
    }

    #[test]
    fn a_chunk_never_grows_past_the_cap() {
        let chunks = AudioChunks::new(384_000, 3_600);
        assert_eq!(chunks.bytes_per_chunk, super::MAX_CHUNK_BYTES);
    }
}
