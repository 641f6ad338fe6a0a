// websocket_codec.h against RFC 6455's own examples (§1.3 the accept key,
// §5.7 the frames) and gorilla/websocket's client rules.
#include "websocket_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace exporterd::blackbox::websocket {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

TEST(WebsocketCodec, AcceptKeyOfRfc6455Section13) {
  EXPECT_EQ(AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // The RFC's nonce is "the sample nonce".
  std::array<uint8_t, 16> nonce{};
  const std::string sample = "the sample nonce";
  std::copy(sample.begin(), sample.end(), nonce.begin());
  EXPECT_EQ(HandshakeKey(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(WebsocketCodec, MaskedHelloOfSection57) {
  EXPECT_EQ(EncodeFrame(kText, "Hello", {0x37, 0xfa, 0x21, 0x3d}),
            Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51,
                   0x58}));
  Frame f;
  const std::string masked =
      Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  ASSERT_EQ(DecodeFrame(masked, &f), masked.size());
  EXPECT_TRUE(f.masked);
  EXPECT_EQ(f.payload, "Hello");
}

TEST(WebsocketCodec, LengthEncodings) {
  std::array<uint8_t, 4> mask{1, 2, 3, 4};
  std::string f256 = EncodeFrame(kBinary, std::string(256, 'a'), mask);
  EXPECT_EQ(f256.substr(0, 4), Bytes({0x82, 0xFE, 0x01, 0x00}));
  EXPECT_EQ(f256.size(), 4u + 4 + 256);
  std::string f64k = EncodeFrame(kBinary, std::string(65536, 'a'), mask);
  EXPECT_EQ(f64k.substr(0, 10),
            Bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  Frame f;
  ASSERT_EQ(DecodeFrame(f64k, &f), f64k.size());
  EXPECT_EQ(f.payload, std::string(65536, 'a'));
  // Not complete yet: 0.
  EXPECT_EQ(DecodeFrame(f64k.substr(0, 9), &f), 0u);
  EXPECT_EQ(DecodeFrame(f64k.substr(0, f64k.size() - 1), &f), 0u);
}

TEST(WebsocketCodec, ReaderReassemblesFragmentsAroundAPing) {
  // §5.7: "Hel" + "lo" unmasked, with a ping between the fragments.
  MessageReader r;
  r.Feed(Bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
  EXPECT_EQ(r.Next().kind, Event::kNeedMore);
  r.Feed(Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  r.Feed(Bytes({0x80, 0x02, 0x6c}));  // the last fragment, one byte short
  Event ping = r.Next();
  EXPECT_EQ(ping.kind, Event::kPing);
  EXPECT_EQ(ping.data, "Hello");
  EXPECT_EQ(r.Next().kind, Event::kNeedMore);
  r.Feed(Bytes({0x6f}));
  Event m = r.Next();
  ASSERT_EQ(m.kind, Event::kMessage);
  EXPECT_EQ(m.opcode, kText);
  EXPECT_EQ(m.data, "Hello");
}

TEST(WebsocketCodec, ReaderRefusesWhatGorillaRefuses) {
  struct Case {
    std::string bytes, error;
  };
  const Case cases[] = {
      {Bytes({0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0}),
       "websocket: incorrect mask flag"},
      {Bytes({0xC1, 0x00}), "websocket: unexpected reserved bits"},
      {Bytes({0x80, 0x00}), "websocket: unexpected continuation"},
      {Bytes({0x09, 0x00}), "websocket: control frame not final"},
      {Bytes({0x83, 0x00}), "websocket: unknown opcode 3"},
      {Bytes({0x01, 0x01, 0x61, 0x81, 0x00}),
       "websocket: message start before final message frame"},
  };
  for (const auto& c : cases) {
    MessageReader r;
    r.Feed(c.bytes);
    Event e = r.Next();
    EXPECT_EQ(e.kind, Event::kError) << c.error;
    EXPECT_EQ(e.data, c.error);
  }
}

TEST(WebsocketCodec, CloseFrames) {
  MessageReader r;
  r.Feed(Bytes({0x88, 0x05, 0x03, 0xE8, 'b', 'y', 'e'}));
  Event e = r.Next();
  ASSERT_EQ(e.kind, Event::kClose);
  EXPECT_EQ(e.close_code, 1000);
  EXPECT_EQ(CloseErrorText(e.close_code, e.data),
            "websocket: close 1000 (normal): bye");
  MessageReader empty;
  empty.Feed(Bytes({0x88, 0x00}));
  EXPECT_EQ(empty.Next().close_code, 1005);
}

TEST(WebsocketCodec, Urls) {
  std::string err;
  auto u = ParseUrl("wss://[::1]:8443/chat?room=1#frag", &err);
  ASSERT_TRUE(u) << err;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->host_header, "[::1]:8443");
  EXPECT_EQ(u->request_uri, "/chat?room=1");
  auto v = ParseUrl("WS://example.org?x", &err);
  ASSERT_TRUE(v) << err;
  EXPECT_FALSE(v->tls);
  EXPECT_EQ(v->port, "");
  EXPECT_EQ(v->request_uri, "/?x");
  EXPECT_FALSE(ParseUrl("http://example.org/", &err));
  EXPECT_EQ(err, "malformed ws or wss URL");
  EXPECT_FALSE(ParseUrl("ws://user:pw@example.org/", &err));
  EXPECT_FALSE(ParseUrl("example.org:80", &err));
  EXPECT_FALSE(ParseUrl("ws://h:8x/", &err));
}

TEST(WebsocketCodec, HandshakeRequestAndCheck) {
  std::string err;
  auto u = ParseUrl("ws://127.0.0.1:9000/echo", &err);
  ASSERT_TRUE(u);
  std::string req = HandshakeRequest(
      *u, "dGhlIHNhbXBsZSBub25jZQ==", {{"X-Some-Header", "my_header"}});
  EXPECT_EQ(req.rfind("GET /echo HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n", 0), 0u)
      << req;
  EXPECT_NE(req.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nConnection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nX-Some-Header: my_header\r\n"), std::string::npos);
  EXPECT_EQ(req.substr(req.size() - 4), "\r\n\r\n");
  std::string host = HandshakeRequest(*u, "k", {{"host", "virtual.example"}});
  EXPECT_NE(host.find("\r\nHost: virtual.example\r\n"), std::string::npos);

  // The RFC's answer, as a server sends it (headers in any case).
  const std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "upgrade: WebSocket\r\n"
      "Connection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
      "\x81\x02hi";
  Response r;
  EXPECT_EQ(ParseResponse(answer.substr(0, 40), &r, &err),
            ParseStatus::kNeedMore);
  ASSERT_EQ(ParseResponse(answer, &r, &err), ParseStatus::kDone) << err;
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.header_bytes, answer.size() - 4);
  EXPECT_EQ(CheckUpgrade(r, "dGhlIHNhbXBsZSBub25jZQ=="), "");
  EXPECT_EQ(CheckUpgrade(r, "b3RoZXIga2V5IGhlcmUhIQ=="),
            "websocket: bad handshake");
  Response plain;
  ASSERT_EQ(ParseResponse("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", &plain, &err),
            ParseStatus::kDone);
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(CheckUpgrade(plain, "dGhlIHNhbXBsZSBub25jZQ=="),
            "websocket: bad handshake");
  EXPECT_EQ(ParseResponse("SSH-2.0-OpenSSH\r\n\r\n", &plain, &err),
            ParseStatus::kError);
}

}  // namespace
}  // namespace exporterd::blackbox::websocket
