//! A minimal HTTP/1.1 keep-alive client for the request-rate benchmark: one request at a time on one connection,
//! nothing but what a plain local JSON server needs. The load generator shares the machine with the server and
//! PostgreSQL (as pgbench does in the baseline), so every microsecond it spends per request is taken from them;
//! a general-purpose client costs several times more per request than this.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One keep-alive connection to `host:port`.
pub struct Connection {
    stream: TcpStream,
    host: String,
    /// Bytes read past the end of the previous response.
    buffer: Vec<u8>,
    request: Vec<u8>,
}

/// A response: its status code and body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    /// Connects to the `http://host:port` of `url` (the path is ignored).
    pub async fn connect(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
        let host = rest.split('/').next().unwrap_or(rest).to_string();
        let stream = TcpStream::connect(&host)
            .await
            .map_err(|e| format!("cannot connect to {host}: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
        Ok(Self {
            stream,
            host,
            buffer: Vec::with_capacity(4096),
            request: Vec::with_capacity(1024),
        })
    }

    /// Sends `POST path` with a JSON `body` and a bearer token, and reads the response.
    pub async fn post_json(
        &mut self,
        path: &str,
        token: &str,
        body: &str,
    ) -> Result<Response, String> {
        self.request.clear();
        self.request.extend_from_slice(
            format!(
                "POST {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        self.request.extend_from_slice(body.as_bytes());
        self.stream
            .write_all(&self.request)
            .await
            .map_err(|e| format!("cannot send: {e}"))?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<Response, String> {
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buffer[..head_end])
            .map_err(|_| "a response head that is not UTF-8".to_string())?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("not an HTTP response: {head:?}"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        self.buffer.drain(..head_end);
        let body = match (length, chunked) {
            (Some(length), false) => self.take(length).await?,
            (_, true) => self.read_chunked().await?,
            (None, false) => return Err("a response without a length".into()),
        };
        Ok(Response { status, body })
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = find(&self.buffer, b"\r\n") {
                    break at;
                }
                self.fill().await?;
            };
            let size = std::str::from_utf8(&self.buffer[..line_end])
                .ok()
                .and_then(|line| usize::from_str_radix(line.split(';').next()?.trim(), 16).ok())
                .ok_or_else(|| "a malformed chunk size".to_string())?;
            self.buffer.drain(..line_end + 2);
            let chunk = self.take(size + 2).await?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }

    /// The next `n` bytes.
    async fn take(&mut self, n: usize) -> Result<Vec<u8>, String> {
        while self.buffer.len() < n {
            self.fill().await?;
        }
        Ok(self.buffer.drain(..n).collect())
    }

    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 8192];
        let read = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("cannot read: {e}"))?;
        if read == 0 {
            return Err("the server closed the connection".into());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::Connection;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Serves the `answers` in turn on one connection, each after reading one request, and returns the
    /// requests it read.
    async fn serve(answers: Vec<&'static str>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut requests = Vec::new();
            for answer in answers {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                while !String::from_utf8_lossy(&request).contains("\"end\":1}") {
                    let n = socket.read(&mut chunk).await.unwrap();
                    request.extend_from_slice(&chunk[..n]);
                }
                requests.push(String::from_utf8(request).unwrap());
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
            requests
        });
        (url, server)
    }

    #[tokio::test]
    async fn reads_sized_and_chunked_answers_on_one_connection() {
        let (url, server) = serve(vec![
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"a\"}\n",
            "HTTP/1.1 422 Unprocessable Entity\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"de\r\n9\r\ntail\":1}\n\r\n0\r\n\r\n",
        ])
        .await;
        let mut connection = Connection::connect(&url).await.unwrap();
        let first = connection
            .post_json("/v1/memories", "t0k", "{\"end\":1}")
            .await
            .unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.body, b"{\"id\":\"a\"}\n");
        let second = connection
            .post_json("/v1/memories", "t0k", "{\"end\":1}")
            .await
            .unwrap();
        assert_eq!(second.status, 422);
        assert_eq!(second.body, b"{\"detail\":1}\n");
        let requests = server.await.unwrap();
        assert!(requests[0].starts_with("POST /v1/memories HTTP/1.1\r\n"));
        assert!(requests[0].contains("authorization: Bearer t0k\r\n"));
        assert!(requests[0].ends_with("content-length: 9\r\n\r\n{\"end\":1}"));
    }

    #[tokio::test]
    async fn a_closed_connection_is_an_error() {
        let (url, server) = serve(vec![]).await;
        let mut connection = Connection::connect(&url).await.unwrap();
        server.await.unwrap();
        assert!(connection
            .post_json("/x", "t", "{\"end\":1}")
            .await
            .is_err());
    }
}
