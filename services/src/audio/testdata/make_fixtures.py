"""Regenerates the libopus fixtures of the audio tests (needs espeak-ng and libopus.so.0, through ctypes).

For each of `opus` (160-sample frames) and `opus_fs320` (320): speech from espeak-ng, resampled to 16 kHz
mono, encoded by libopus (VOIP, default bitrate) into `libopus_fsN.packets` (each packet as u16 LE length +
bytes), and libopus's own decoding of those packets in `libopus_fsN.pcm` (i16 LE): the reference the Rust
decoder must match.

    python3 make_fixtures.py
"""

import array
import ctypes
import struct
import subprocess
import wave
import io

SENTENCE = "Omi listens to your conversations and remembers them."
wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", SENTENCE],
                     check=True, capture_output=True).stdout
w = wave.open(io.BytesIO(wav))
rate = w.getframerate()
src = array.array("h", w.readframes(w.getnframes()))
n = int(len(src) * 16000 / rate)
pcm = array.array("h", [0] * n)
for i in range(n):  # linear interpolation is enough for a fixture
    x = i * rate / 16000
    j = int(x)
    a = src[j]
    b = src[j + 1] if j + 1 < len(src) else a
    pcm[i] = int(a + (b - a) * (x - j))

lib = ctypes.CDLL("libopus.so.0")
lib.opus_encoder_create.restype = ctypes.c_void_p
lib.opus_decoder_create.restype = ctypes.c_void_p
OPUS_APPLICATION_VOIP = 2048
for frame, seconds in ((160, 0.5), (320, 1.0)):
    err = ctypes.c_int()
    enc = ctypes.c_void_p(lib.opus_encoder_create(16000, 1, OPUS_APPLICATION_VOIP, ctypes.byref(err)))
    assert err.value == 0
    dec = ctypes.c_void_p(lib.opus_decoder_create(16000, 1, ctypes.byref(err)))
    assert err.value == 0
    packets, ref = bytearray(), array.array("h")
    out = (ctypes.c_ubyte * 4000)()
    decoded = (ctypes.c_short * 5760)()
    start = 3200  # skip the leading silence
    for k in range(start, start + int(seconds * 16000), frame):
        nb = lib.opus_encode(enc, (ctypes.c_short * frame)(*pcm[k:k + frame]), frame, out, 4000)
        assert nb > 0
        packets += struct.pack("<H", nb) + bytes(out[:nb])
        nd = lib.opus_decode(dec, out, nb, decoded, 5760, 0)
        assert nd == frame
        ref.extend(decoded[:nd])
    with open(f"libopus_fs{frame}.packets", "wb") as f:
        f.write(packets)
    with open(f"libopus_fs{frame}.pcm", "wb") as f:
        f.write(ref.tobytes())
    print(frame, len(packets), "bytes of packets,", len(ref), "samples")
