// websocket_url.h: the websocket prober's targets, split as Go's url.Parse
// and gorilla/websocket's dialer would.
#include "websocket_url.h"

#include <gtest/gtest.h>

#include <string>

namespace exporterd::blackbox::websocket {
namespace {

TEST(WebsocketUrl, SchemePortPathAndQuery) {
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
  EXPECT_EQ(v->host, "example.org");
  EXPECT_EQ(v->port, "");
  EXPECT_EQ(v->host_header, "example.org");
  EXPECT_EQ(v->request_uri, "/?x");
  auto w = ParseUrl("ws://127.0.0.1:9000", &err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->port, "9000");
  EXPECT_EQ(w->request_uri, "/");
}

TEST(WebsocketUrl, WhatGorillaRefuses) {
  std::string err;
  EXPECT_FALSE(ParseUrl("http://example.org/", &err));
  EXPECT_EQ(err, "malformed ws or wss URL");
  EXPECT_FALSE(ParseUrl("ws://user:pw@example.org/", &err));
  EXPECT_EQ(err, "malformed ws or wss URL");
  EXPECT_FALSE(ParseUrl("example.org:80", &err));
  EXPECT_FALSE(ParseUrl("ws:///path", &err));
  EXPECT_FALSE(ParseUrl("ws://h:8x/", &err));
  EXPECT_EQ(err, "invalid port \":8x\" after host");
  EXPECT_FALSE(ParseUrl("ws://[::1/", &err));
  EXPECT_EQ(err, "missing ']' in host");
}

TEST(WebsocketUrl, EqualFold) {
  EXPECT_TRUE(EqualFold("Sec-WebSocket-Key", "sec-websocket-key"));
  EXPECT_FALSE(EqualFold("Upgrade", "Upgrades"));
}

}  // namespace
}  // namespace exporterd::blackbox::websocket
