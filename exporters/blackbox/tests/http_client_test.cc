// The pure parts of the OAuth2 client credentials flow (http_client.h).
#include "http_client.h"

#include <gtest/gtest.h>

namespace exporterd::blackbox {
namespace {

TEST(OAuth2Token, JsonAnswer) {
  std::string err;
  auto t = ParseTokenResponse(
      "application/json; charset=utf-8",
      R"({"access_token":"abc","token_type":"bearer","expires_in":3600})",
      &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->access_token, "abc");
  EXPECT_EQ(t->type, "Bearer");  // Go's Token.Type() normalises the case
}

TEST(OAuth2Token, FormAnswerAndTypes) {
  std::string err;
  auto t = ParseTokenResponse("application/x-www-form-urlencoded",
                              "token_type=mac&access_token=a%2Bb+c", &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->access_token, "a+b c");
  EXPECT_EQ(t->type, "MAC");
  t = ParseTokenResponse("text/plain", "access_token=x", &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->type, "Bearer");  // no type: Bearer
  t = ParseTokenResponse("", R"({"access_token":"x","token_type":"DPoP"})",
                         &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->type, "DPoP");  // others as sent
}

TEST(OAuth2Token, MissingOrBadIsAnError) {
  std::string err;
  EXPECT_FALSE(
      ParseTokenResponse("application/json", R"({"token_type":"x"})", &err));
  EXPECT_EQ(err, "oauth2: server response missing access_token");
  EXPECT_FALSE(ParseTokenResponse("application/json", "{not json", &err));
  EXPECT_EQ(err, "oauth2: cannot parse json");
  EXPECT_FALSE(ParseTokenResponse("application/json", "[1,2]", &err));
}

TEST(OAuth2Token, RequestBodyIsSortedAndEscapedAsGo) {
  OAuth2 o;
  o.client_id = "my client";
  o.scopes = {"read", "write:all"};
  o.endpoint_params = {{"audience", "https://api.example/"}};
  EXPECT_EQ(TokenRequestBody(o, "s&c", false),
            "audience=https%3A%2F%2Fapi.example%2F&grant_type=client_"
            "credentials&scope=read+write%3Aall");
  EXPECT_EQ(TokenRequestBody(o, "s&c", true),
            "audience=https%3A%2F%2Fapi.example%2F&client_id=my+client&"
            "client_secret=s%26c&grant_type=client_credentials&scope=read+"
            "write%3Aall");
  // endpoint_params may replace grant_type (x/oauth2 allows that one).
  o.endpoint_params = {{"grant_type", "password"}};
  o.scopes.clear();
  EXPECT_EQ(TokenRequestBody(o, "", true),
            "client_id=my+client&grant_type=password");
}

}  // namespace
}  // namespace exporterd::blackbox
