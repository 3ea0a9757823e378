#!/usr/bin/python3
"""fakeaws.py UPSTREAM LOG CERT KEY — the outside world of an AWS client, on loopback,
for tests/aws/conventions.sh. Prints "PLAIN_PORT TLS_PORT" (the TLS port serves CERT),
then serves until killed. Every request is logged to LOG, one line each:

  CONNECT host:port             an HTTPS proxy request: answered 200, then closed (the
                                client's TLS handshake fails at once, nothing retried)
  PROXY METHOD URL ak=.. region=..   a plain HTTP proxy request: forwarded to UPSTREAM
  EP MARK METHOD PATH ak=.. region=..  a request to /m/MARK/...: forwarded (less /m/MARK)
  TLS METHOD PATH ...           any request on the TLS port: forwarded
  IMDS ...                      the instance metadata service (IMDSv2 only): token
                                "imds-tok", region eu-west-3, no role
  ECS PATH tls=yes|no auth=..   container credentials (/ecs/...), on either port: key
                                ASIAECSKEY
  SSO token=.. account=.. role=..   GetRoleCredentials: tokens tok-valid, tok-refreshed
  OIDC grant=.. refresh=..      CreateToken: refresh token rt-1 of client cid only
Keys and regions are read from the SigV4 Authorization header (scope)."""
import http.client
import http.server
import json
import re
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

UPSTREAM = urllib.parse.urlparse(sys.argv[1])
LOG = sys.argv[2]
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tls = False

    def log_message(self, *a):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, data, ctype="application/json", headers=()):
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        data = data.encode() if isinstance(data, str) else data
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def signer(self):
        m = re.search(r"Credential=([^/]+)/[0-9]+/([^/]+)/", self.headers.get("Authorization", ""))
        return "ak=%s region=%s" % (m.group(1), m.group(2)) if m else "ak=- region=-"

    def forward(self, path, body):
        c = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        c.request(self.command, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        self.reply(r.status, data, r.getheader("Content-Type") or "text/xml",
                   [(k, v) for k, v in r.getheaders()
                    if k.lower().startswith("x-amz")])
        c.close()

    def do_CONNECT(self):
        log("CONNECT " + self.path)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True

    def handle_any(self):
        body = self.body()
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        if self.path.startswith("http://"):
            log("PROXY %s %s %s" % (self.command, self.path, self.signer()))
            return self.forward(u.path + ("?" + u.query if u.query else ""), body)
        if u.path.startswith("/ecs/"):
            log("ECS %s tls=%s auth=%s" % (u.path, "yes" if self.tls else "no", self.headers.get("Authorization", "-")))
            return self.reply(200, {"AccessKeyId": "ASIAECSKEY", "SecretAccessKey": "ecs-secret",
                                    "Token": "ecs-session-token",
                                    "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))})
        if self.tls:
            log("TLS %s %s %s" % (self.command, u.path, self.signer()))
            return self.forward(self.path, body)
        m = re.match(r"/m/([^/]+)(/.*)$", self.path)
        if m:
            log("EP %s %s %s %s" % (m.group(1), self.command, urllib.parse.urlparse(m.group(2)).path, self.signer()))
            return self.forward(m.group(2), body)
        if u.path == "/latest/api/token" and self.command == "PUT":
            log("IMDS token ttl=%s" % self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"))
            return self.reply(200, "imds-tok", "text/plain")
        if u.path.startswith("/latest/"):
            good = self.headers.get("X-aws-ec2-metadata-token") == "imds-tok"
            log("IMDS %s %s token=%s" % (self.command, u.path, "ok" if good else "missing"))
            if not good:
                return self.reply(401, "", "text/plain")
            if u.path == "/latest/meta-data/placement/region":
                return self.reply(200, "eu-west-3", "text/plain")
            return self.reply(404, "", "text/plain")
        if u.path == "/federation/credentials":
            tok = self.headers.get("x-amz-sso_bearer_token")
            log("SSO token=%s account=%s role=%s" % (tok, q.get("account_id", ["-"])[0], q.get("role_name", ["-"])[0]))
            if tok not in ("tok-valid", "tok-refreshed"):
                return self.reply(401, {"message": "Session token not found or invalid"},
                                  headers=[("x-amzn-ErrorType", "UnauthorizedException:http://internal.amazon.com/")])
            return self.reply(200, {"roleCredentials": {
                "accessKeyId": "AKIASSO" + tok.upper().replace("-", ""), "secretAccessKey": "sso-secret",
                "sessionToken": "sso-session-token", "expiration": int(time.time() * 1000) + 3600000}})
        if u.path == "/token":
            j = json.loads(body or b"{}")
            log("OIDC grant=%s refresh=%s" % (j.get("grantType"), j.get("refreshToken")))
            if j.get("grantType") == "refresh_token" and j.get("refreshToken") == "rt-1" and j.get("clientId") == "cid":
                return self.reply(200, {"accessToken": "tok-refreshed", "expiresIn": 28800,
                                        "refreshToken": "rt-2", "tokenType": "Bearer"})
            return self.reply(400, {"error": "invalid_grant"}, headers=[("x-amzn-ErrorType", "InvalidGrantException")])
        log("OTHER %s %s" % (self.command, self.path))
        return self.reply(404, {"message": "fakeaws: no such path"})

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


class TLSHandler(Handler):
    tls = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


plain = Server(("127.0.0.1", 0), Handler)
tls = Server(("127.0.0.1", 0), TLSHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
print(plain.server_address[1], tls.server_address[1], flush=True)
sys.stdout.close()
threading.Thread(target=tls.serve_forever, daemon=True).start()
plain.serve_forever()
