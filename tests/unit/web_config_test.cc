#include "web_config.h"  // First: it includes <utility> before asio.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporterd/runner.h"
#include "test_kit.h"

namespace exporterd {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

// `htpasswd -nbB -C cost` prints "user:hash\n\n"; returns the hash.
std::string Htpasswd(const std::string& user, const std::string& password,
                     int cost) {
  const RunResult r =
      Run({"htpasswd", "-nbB", "-C", std::to_string(cost), user, password});
  const size_t colon = r.out.find(':');
  const size_t end = r.out.find('\n');
  if (!r.Success() || colon == std::string::npos || end == std::string::npos)
    return "";
  return r.out.substr(colon + 1, end - colon - 1);
}

std::string Base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()),
                          int(s.size()));
  out.resize(size_t(n));
  return out;
}

std::string BasicHeader(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

std::string Describe(const ConfigErrors& errors) {
  std::string s;
  for (const ConfigError& e : errors.list) {
    s += "  " + e.file + ":" + std::to_string(e.line) + ": " + e.key + ": " +
         e.message + "\n";
  }
  return s.empty() ? "  (no errors)\n" : s;
}

// Some error is at `line`, names `key` and its message contains `text`.
::testing::AssertionResult HasError(const ConfigErrors& errors, int line,
                                    const std::string& key,
                                    const std::string& text = "") {
  for (const ConfigError& e : errors.list) {
    if (e.line == line && e.key == key &&
        e.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no error at line " << line << " key '" << key << "' containing '"
         << text << "'; got:\n"
         << Describe(errors);
}

class WebConfigTest : public ::testing::Test {
 protected:
  // Generates a CA, server and client certificates, a stray key, a
  // self-signed "rogue" client certificate and htpasswd hashes.
  static void SetUpTestSuite() {
    tmp_ = std::make_unique<testing::TempDir>();
    dir_ = tmp_->path();
    const std::string d = dir_.string();
    const std::string ec =
        " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script =
        "set -e; cd '" + d + "'; exec 2>openssl.log\n" + "openssl req -x509" +
        ec +
        " -keyout ca.key -out ca.crt -days 2 -subj /CN=exporterd-test-ca\n" +
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
        "extendedKeyUsage=serverAuth\\n' > server.ext\n" +
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n" +
        "for n in server client; do\n" + "  openssl req" + ec +
        " -keyout $n.key -out $n.csr -subj /CN=$n\n" +
        "  openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key "
        "-set_serial 0x$(openssl rand -hex 8) -days 2 -extfile $n.ext -out "
        "$n.crt\n"
        "done\n" +
        "openssl req -x509" + ec +
        " -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue\n" +
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
        "-out other.key\n";
    testing::Sh(script);
    ASSERT_FALSE(HasFailure()) << "openssl failed, see " << d << "/openssl.log";

    // One cost for all (LoadWebConfig refuses mixed costs), plus a cost-10
    // hash for the tests of that.
    alice_hash_ = Htpasswd("alice", "secret", 5);
    bob_hash_ = Htpasswd("bob", "correct horse", 5);
    carol_hash_ = Htpasswd("carol", "pa:ss:word", 5);  // ':' inside
    dave10_hash_ = Htpasswd("dave", "hunter2", 10);
    ASSERT_EQ(alice_hash_.substr(0, 7), "$2y$05$") << alice_hash_;
    ASSERT_EQ(bob_hash_.substr(0, 7), "$2y$05$") << bob_hash_;
    ASSERT_EQ(carol_hash_.size(), 60u) << carol_hash_;
    ASSERT_EQ(dave10_hash_.substr(0, 7), "$2y$10$") << dave10_hash_;
  }

  static void TearDownTestSuite() { tmp_.reset(); }

  static std::string Path(const std::string& name) {
    return (dir_ / name).string();
  }

  // Writes `text` to `name` under the temp dir; returns its path.
  static std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  static std::string Users() {
    return "basic_auth_users:\n  alice: " + alice_hash_ +
           "\n  bob: " + bob_hash_ + "\n  carol: " + carol_hash_ + "\n";
  }

  static std::map<std::string, std::string> UserMap() {
    return {{"alice", alice_hash_}, {"bob", bob_hash_}, {"carol", carol_hash_}};
  }

  // Loads `text` written as web.yml; expects failure.
  static ConfigErrors LoadBad(const std::string& text) {
    ConfigErrors errors;
    auto cfg = LoadWebConfig(Write("web.yml", text), &errors);
    EXPECT_FALSE(cfg.has_value());
    EXPECT_FALSE(errors.empty());
    return errors;
  }

  static TlsServerConfig ServerTls() {
    TlsServerConfig tls;
    tls.cert_file = Path("server.crt");
    tls.key_file = Path("server.key");
    return tls;
  }

  static inline std::unique_ptr<testing::TempDir> tmp_;
  static inline fs::path dir_;  // tmp_'s path
  static inline std::string alice_hash_, bob_hash_, carol_hash_, dave10_hash_;
};

TEST_F(WebConfigTest, LoadsFullConfig) {
  const std::string path =
      Write("web.yml",
            "tls_server_config:\n"
            "  cert_file: server.crt\n"
            "  key_file: server.key\n"
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  client_ca_file: ca.crt\n"
            "  min_version: TLS12\n"
            "  max_version: TLS13\n"
            "http_server_config:\n"
            "  http2: true\n"
            "  headers:\n"
            "    X-Frame-Options: deny\n"
            "    Strict-Transport-Security: max-age=3600\n" +
                Users());
  ConfigErrors errors;
  auto cfg = LoadWebConfig(path, &errors);
  ASSERT_TRUE(cfg.has_value()) << Describe(errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_TRUE(cfg->tls.has_value());
  EXPECT_EQ(cfg->tls->cert_file, Path("server.crt"));
  EXPECT_EQ(cfg->tls->key_file, Path("server.key"));
  EXPECT_EQ(cfg->tls->client_ca_file, Path("ca.crt"));
  EXPECT_EQ(cfg->tls->client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(cfg->tls->min_version, "TLS12");
  EXPECT_EQ(cfg->tls->max_version, "TLS13");
  EXPECT_NE(cfg->tls_context, nullptr);
  EXPECT_EQ(cfg->basic_auth_users, UserMap());
  using Header = std::pair<std::string, std::string>;
  EXPECT_EQ(cfg->headers, (std::vector<Header>{
                              {"X-Frame-Options", "deny"},
                              {"Strict-Transport-Security", "max-age=3600"}}));
}

TEST_F(WebConfigTest, TlsDefaults) {
  ConfigErrors errors;
  auto cfg = LoadWebConfig(Write("tls.yml",
                                 "tls_server_config:\n"
                                 "  cert_file: server.crt\n"
                                 "  key_file: server.key\n"),
                           &errors);
  ASSERT_TRUE(cfg.has_value()) << Describe(errors);
  ASSERT_TRUE(cfg->tls.has_value());
  EXPECT_EQ(cfg->tls->client_auth_type, "NoClientCert");
  EXPECT_EQ(cfg->tls->min_version, "TLS12");
  EXPECT_EQ(cfg->tls->max_version, "");
  EXPECT_TRUE(cfg->basic_auth_users.empty());
  EXPECT_TRUE(cfg->headers.empty());
}

// Issue 16: a 0-byte (or truncated to nothing) web config used to load as
// "no TLS, no auth". No document at all is an error now.
TEST_F(WebConfigTest, EmptyFileRefused) {
  for (const std::string& text :
       {std::string(), std::string("\n  \n\t\n"),
        std::string("# tls_server_config:\n#   cert_file: x\n"),
        std::string("---\n"), std::string("~\n")}) {
    ConfigErrors errors;
    const std::string path = Write("empty.yml", text);
    EXPECT_FALSE(LoadWebConfig(path, &errors).has_value())
        << "'" << text << "'";
    ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
    EXPECT_EQ(errors.list[0].ToString(),
              path +
                  ": empty web config file; to serve without TLS and basic "
                  "auth, leave out --web.config.file");
  }
}

TEST_F(WebConfigTest, NotAMappingRefused) {
  for (const char* text : {"- a\n- b\n", "tls_server_config\n", "42\n"}) {
    ConfigErrors errors = LoadBad(text);
    EXPECT_TRUE(HasError(errors, 1, "", "expected a mapping")) << text;
  }
}

// Issue 16: `tls_server_config:` or `basic_auth_users:` without a value (or
// with an empty mapping) used to turn TLS or auth off.
TEST_F(WebConfigTest, EmptySectionsRefused) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "http_server_config:\n"
      "basic_auth_users:\n");
  EXPECT_TRUE(HasError(errors, 1, "tls_server_config",
                       "has no settings; leave tls_server_config out to "
                       "serve plain HTTP"));
  EXPECT_TRUE(HasError(errors, 2, "http_server_config", "has no settings"));
  EXPECT_TRUE(HasError(errors, 3, "basic_auth_users",
                       "has no users; leave basic_auth_users out"));
  EXPECT_EQ(errors.list.size(), 3u) << Describe(errors);

  errors = LoadBad(
      "http_server_config:\n"
      "  headers: {X-Frame-Options: deny}\n"
      "tls_server_config: {}\n"
      "basic_auth_users: {}\n");
  EXPECT_TRUE(HasError(errors, 3, "tls_server_config", "has no settings"));
  EXPECT_TRUE(HasError(errors, 4, "basic_auth_users", "has no users"));
  EXPECT_EQ(errors.list.size(), 2u) << Describe(errors);

  // Next to a good TLS section, an empty user list is still refused.
  errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "basic_auth_users:\n"
      "# alice: (truncated)\n");
  EXPECT_TRUE(HasError(errors, 4, "basic_auth_users", "has no users"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);
}

// Issue 16: with one cost-5 and one cost-10 user an unknown user took 68 ms
// and a known one 2.6 ms.
TEST_F(WebConfigTest, MixedBcryptCostsRefused) {
  ConfigErrors errors =
      LoadBad("basic_auth_users:\n  alice: " + alice_hash_ +
              "\n  bob: " + bob_hash_ + "\n  dave: " + dave10_hash_ + "\n");
  EXPECT_TRUE(HasError(errors, 4, "basic_auth_users.dave",
                       "all basic_auth_users hashes must use the same bcrypt "
                       "cost; found 5 (alice) and 10 (dave)"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);

  // Every user at cost 10 is fine.
  ConfigErrors ok;
  auto cfg = LoadWebConfig(
      Write("web.yml", "basic_auth_users:\n  dave: " + dave10_hash_ + "\n"),
      &ok);
  ASSERT_TRUE(cfg.has_value()) << Describe(ok);
  EXPECT_EQ(cfg->basic_auth_users.size(), 1u);
}

// Issue 16: only regular files, capped; a FIFO never blocks the reader.
TEST_F(WebConfigTest, FileGuards) {
  const std::string good = Write("guard-good.yml", Users());
  ConfigErrors errors;
  EXPECT_FALSE(LoadWebConfig(dir_.string(), &errors).has_value());
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_EQ(errors.list[0].ToString(),
            dir_.string() + ": cannot read web config file: is a directory");

  errors = {};
  EXPECT_FALSE(LoadWebConfig("/dev/zero", &errors).has_value());
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_EQ(errors.list[0].message,
            "cannot read web config file: is not a regular file (character "
            "device)");

  const std::string fifo = Path("guard.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto start = std::chrono::steady_clock::now();
  errors = {};
  EXPECT_FALSE(LoadWebConfig(fifo, &errors).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_EQ(errors.list[0].message,
            "cannot read web config file: is not a regular file (fifo)");

  // A FIFO as a certificate is refused too, before OpenSSL would block on it.
  start = std::chrono::steady_clock::now();
  errors = LoadBad(
      "tls_server_config:\n  cert_file: guard.fifo\n"
      "  key_file: server.key\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(HasError(errors, 2, "tls_server_config.cert_file",
                       "is not a regular file (fifo)"));

  // Over the cap: refused before parsing.
  const std::string big =
      Write("guard-big.yml",
            Users() + "# " + std::string(kMaxConfigFileBytes, 'x') + "\n");
  errors = {};
  EXPECT_FALSE(LoadWebConfig(big, &errors).has_value());
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_NE(errors.list[0].message.find(
                "is larger than the limit of 4194304 bytes (4 MiB)"),
            std::string::npos)
      << Describe(errors);

  // A symlink to a regular file is followed.
  const std::string link = Path("guard-link.yml");
  fs::create_symlink(good, link);
  errors = {};
  auto cfg = LoadWebConfig(link, &errors);
  ASSERT_TRUE(cfg.has_value()) << Describe(errors);
  EXPECT_EQ(cfg->basic_auth_users, UserMap());
}

TEST_F(WebConfigTest, MissingFileNamesTheFile) {
  ConfigErrors errors;
  const std::string path = Path("does-not-exist.yml");
  EXPECT_FALSE(LoadWebConfig(path, &errors).has_value());
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_EQ(errors.list[0].file, path);
  EXPECT_NE(errors.list[0].message.find("No such file"), std::string::npos)
      << Describe(errors);
}

TEST_F(WebConfigTest, YamlSyntaxErrorHasLine) {
  ConfigErrors errors = LoadBad(
      "http_server_config:\n"
      "  headers:\n"
      "    X-Frame-Options: [deny\n"
      "basic_auth_users: {}\n");
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_GE(errors.list[0].line, 3) << Describe(errors);
  EXPECT_LE(errors.list[0].line, 4) << Describe(errors);
  EXPECT_NE(errors.list[0].message.find("invalid YAML"), std::string::npos);

  errors = LoadBad("a: b\n  c: d\n");
  ASSERT_EQ(errors.list.size(), 1u) << Describe(errors);
  EXPECT_EQ(errors.list[0].line, 2) << Describe(errors);
}

TEST_F(WebConfigTest, UnknownTopLevelKey) {
  ConfigErrors errors = LoadBad(Users() + "tls_config: {}\n");
  // rate_limit is exporter-toolkit's but not supported: not suggested.
  EXPECT_TRUE(HasError(errors, 5, "tls_config",
                       "unknown key (expected one of tls_server_config, "
                       "http_server_config, basic_auth_users)"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);

  errors = LoadBad("- a\n- b\n");
  EXPECT_TRUE(HasError(errors, 1, "", "expected a mapping, got a list"));
}

TEST_F(WebConfigTest, UnknownTlsKey) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_cert_file: x.crt\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.client_cert_file",
                       "unknown key (expected one of cert_file, key_file, "
                       "client_ca_file, client_auth_type, min_version, "
                       "max_version)"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);
}

// A section that is not a mapping is one error at the section, not a
// cascade of missing keys.
TEST_F(WebConfigTest, SectionNotAMapping) {
  ConfigErrors errors = LoadBad(
      "tls_server_config: server.crt\n"
      "http_server_config: [http2]\n"
      "basic_auth_users:\n"
      "  - alice\n");
  EXPECT_TRUE(HasError(errors, 1, "tls_server_config",
                       "expected a mapping, got a single value"));
  EXPECT_TRUE(HasError(errors, 2, "http_server_config",
                       "expected a mapping, got a list"));
  EXPECT_TRUE(HasError(errors, 4, "basic_auth_users",
                       "expected a mapping, got a list"));
  EXPECT_EQ(errors.list.size(), 3u) << Describe(errors);

  errors = LoadBad("http_server_config:\n  headers: [X-Frame-Options]\n");
  EXPECT_TRUE(HasError(errors, 2, "http_server_config.headers",
                       "expected a mapping, got a list"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);
}

// A repeated key inside tls_server_config is reported and nothing is loaded.
TEST_F(WebConfigTest, DuplicateTlsKeySkipsLoading) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  cert_file: nope.crt\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.cert_file",
                       "duplicate key (first at line 2)"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);
}

TEST_F(WebConfigTest, BadClientAuthType) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_auth_type: RequireSomething\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.client_auth_type",
                       "must be one of NoClientCert, RequestClientCert"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);
}

TEST_F(WebConfigTest, BadTlsVersions) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  min_version: TLS1.2\n"
      "  max_version: SSL3\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.min_version",
                       "must be one of TLS10, TLS11, TLS12, TLS13"));
  EXPECT_TRUE(
      HasError(errors, 5, "tls_server_config.max_version", "must be one of"));

  errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  min_version: TLS13\n"
      "  max_version: TLS12\n");
  EXPECT_TRUE(HasError(errors, 5, "tls_server_config.max_version",
                       "lower than min_version"));
}

TEST_F(WebConfigTest, ClientAuthAndCaMustAgree) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_auth_type: VerifyClientCertIfGiven\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.client_auth_type",
                       "needs client_ca_file"));

  errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_ca_file: ca.crt\n");
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.client_ca_file",
                       "client_auth_type is NoClientCert"));

  // The old name of RequireAnyClientCert still works.
  ConfigErrors ok;
  auto cfg = LoadWebConfig(Write("web.yml",
                                 "tls_server_config:\n"
                                 "  cert_file: server.crt\n"
                                 "  key_file: server.key\n"
                                 "  client_auth_type: RequireClientCert\n"),
                           &ok);
  ASSERT_TRUE(cfg.has_value()) << Describe(ok);
  EXPECT_EQ(cfg->tls->client_auth_type, "RequireAnyClientCert");
}

TEST_F(WebConfigTest, CertAndKeyRequired) {
  ConfigErrors errors = LoadBad(
      "http_server_config: {http2: true}\n"
      "tls_server_config:\n"
      "  client_auth_type: RequestClientCert\n");
  EXPECT_TRUE(HasError(errors, 2, "tls_server_config.cert_file", "required"));
  EXPECT_TRUE(HasError(errors, 2, "tls_server_config.key_file", "required"));
}

TEST_F(WebConfigTest, CertFileMissing) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  key_file: server.key\n"
      "  cert_file: nope.crt\n");
  EXPECT_TRUE(HasError(
      errors, 3, "tls_server_config.cert_file",
      "cannot read " + Path("nope.crt") + ": No such file or directory"));
}

TEST_F(WebConfigTest, BrokenFilesNameTheirKey) {
  Write("garbage.pem", "not a certificate\n");
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: garbage.pem\n"
      "  key_file: server.key\n");
  EXPECT_TRUE(HasError(errors, 2, "tls_server_config.cert_file",
                       "cannot load certificate"));

  errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: garbage.pem\n");
  EXPECT_TRUE(HasError(errors, 3, "tls_server_config.key_file",
                       "cannot load private key"));

  errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: garbage.pem\n");
  EXPECT_TRUE(HasError(errors, 5, "tls_server_config.client_ca_file",
                       "cannot load CA certificates"));
}

TEST_F(WebConfigTest, KeyDoesNotMatchCert) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: other.key\n");
  EXPECT_TRUE(HasError(errors, 3, "tls_server_config.key_file",
                       "does not match the certificate"));
}

TEST_F(WebConfigTest, UnsupportedToolkitKeys) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
      "  curve_preferences: [X25519]\n"
      "  prefer_server_cipher_suites: true\n"
      "  client_allowed_sans: [a.example]\n"
      "  cert: |\n"
      "    -----BEGIN CERTIFICATE-----\n"
      "  key: k\n"
      "  client_ca: c\n"
      "rate_limit:\n"
      "  burst: 1\n");
  const std::string kMsg = "not supported by exporterd";
  EXPECT_TRUE(HasError(errors, 4, "tls_server_config.cipher_suites", kMsg));
  EXPECT_TRUE(HasError(errors, 5, "tls_server_config.curve_preferences", kMsg));
  EXPECT_TRUE(HasError(errors, 6,
                       "tls_server_config.prefer_server_cipher_suites", kMsg));
  EXPECT_TRUE(
      HasError(errors, 7, "tls_server_config.client_allowed_sans", kMsg));
  EXPECT_TRUE(HasError(errors, 8, "tls_server_config.cert", "use cert_file"));
  EXPECT_TRUE(HasError(errors, 10, "tls_server_config.key", "use key_file"));
  EXPECT_TRUE(
      HasError(errors, 11, "tls_server_config.client_ca", "client_ca_file"));
  EXPECT_TRUE(HasError(errors, 12, "rate_limit", kMsg));
  EXPECT_EQ(errors.list.size(), 8u) << Describe(errors);
}

TEST_F(WebConfigTest, NonBcryptHashes) {
  ConfigErrors errors = LoadBad(
      "basic_auth_users:\n"
      "  plain: secret\n"
      "  md5: $apr1$abcdefgh$0123456789abcdefghijkl\n"
      "  short: $2y$10$abc\n"
      "  cost: $2y$99$" +
      alice_hash_.substr(7) +
      "\n"
      "  list: [a]\n"
      "  good: " +
      bob_hash_ + "\n");
  for (auto [line, user] :
       {std::pair{2, "plain"}, std::pair{3, "md5"}, std::pair{4, "short"},
        std::pair{5, "cost"}, std::pair{6, "list"}}) {
    EXPECT_TRUE(HasError(errors, line, std::string("basic_auth_users.") + user,
                         "bcrypt"));
  }
  EXPECT_EQ(errors.list.size(), 5u) << Describe(errors);
  // The message must not echo the configured value.
  for (const ConfigError& e : errors.list) {
    EXPECT_EQ(e.message.find("secret"), std::string::npos) << e.message;
  }
}

TEST_F(WebConfigTest, HttpServerConfig) {
  ConfigErrors errors = LoadBad(
      "http_server_config:\n"
      "  http2: maybe\n"
      "  headers:\n"
      "    Authorization: Basic Zm9vOmJhcg==\n"
      "    Content-Type: text/plain\n"
      "    X-Frame-Options: allow-from x\n"
      "    X-Content-Type-Options: sniff\n"
      "    Content-Security-Policy: [a]\n"
      "  compression: gzip\n");
  EXPECT_TRUE(HasError(errors, 2, "http_server_config.http2", "true or false"));
  EXPECT_TRUE(HasError(errors, 4, "http_server_config.headers.Authorization",
                       "can not be configured"));
  EXPECT_TRUE(HasError(errors, 5, "http_server_config.headers.Content-Type",
                       "can not be configured"));
  EXPECT_TRUE(HasError(errors, 6, "http_server_config.headers.X-Frame-Options",
                       "must be one of deny, sameorigin"));
  EXPECT_TRUE(HasError(errors, 7,
                       "http_server_config.headers.X-Content-Type-Options",
                       "must be one of nosniff"));
  EXPECT_TRUE(HasError(errors, 8,
                       "http_server_config.headers.Content-Security-Policy",
                       "expected a string, got a list"));
  EXPECT_TRUE(
      HasError(errors, 9, "http_server_config.compression", "unknown key"));
  EXPECT_EQ(errors.list.size(), 7u) << Describe(errors);

  errors = LoadBad(
      "http_server_config:\n"
      "  headers:\n"
      "    x-frame-options: DENY\n"
      "    X-Frame-Options: deny\n");
  EXPECT_TRUE(HasError(errors, 4, "http_server_config.headers.X-Frame-Options",
                       "duplicate"));

  errors = LoadBad(
      "http_server_config:\n"
      "  headers:\n"
      "    X-Content-Type-Options: \"\"\n"
      "    X-XSS-Protection: \"0\\r\\nSet-Cookie: a=b\"\n");
  EXPECT_TRUE(HasError(errors, 3,
                       "http_server_config.headers.X-Content-Type-Options",
                       "must be one of nosniff"));
  EXPECT_TRUE(HasError(errors, 4, "http_server_config.headers.X-XSS-Protection",
                       "control characters"));

  // A header without a value is refused, not sent empty.
  errors = LoadBad(
      "http_server_config:\n"
      "  headers:\n"
      "    X-XSS-Protection:\n");
  EXPECT_TRUE(HasError(errors, 3, "http_server_config.headers.X-XSS-Protection",
                       "has no value"));
  EXPECT_EQ(errors.list.size(), 1u) << Describe(errors);

  ConfigErrors ok;
  auto cfg = LoadWebConfig(Write("web.yml",
                                 "http_server_config:\n"
                                 "  http2: false\n"
                                 "  headers:\n"
                                 "    x-content-type-options: NoSniff\n"),
                           &ok);
  ASSERT_TRUE(cfg.has_value()) << Describe(ok);
  ASSERT_EQ(cfg->headers.size(), 1u);
  EXPECT_EQ(cfg->headers[0].first, "X-Content-Type-Options");
  EXPECT_EQ(cfg->headers[0].second, "NoSniff");
}

TEST_F(WebConfigTest, DuplicateKeys) {
  ConfigErrors errors = LoadBad(
      "basic_auth_users:\n"
      "  alice: " +
      alice_hash_ +
      "\n"
      "  alice: " +
      bob_hash_ + "\n");
  EXPECT_TRUE(HasError(errors, 3, "basic_auth_users.alice", "duplicate key"));
}

TEST_F(WebConfigTest, ReportsEveryError) {
  ConfigErrors errors = LoadBad(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  client_auth_type: Nope\n"
      "  min_version: TLS9\n"
      "basic_auth_users:\n"
      "  x: y\n"
      "extra: 1\n");
  EXPECT_EQ(errors.list.size(), 4u) << Describe(errors);
  for (const ConfigError& e : errors.list) {
    EXPECT_EQ(e.file, Path("web.yml"));
    EXPECT_GT(e.line, 0);
    EXPECT_FALSE(e.key.empty());
  }
}

TEST_F(WebConfigTest, RelativePathsResolveAgainstConfigDir) {
  Write("conf/certs/server.crt", "");
  fs::copy_file(Path("server.crt"), Path("conf/certs/server.crt"),
                fs::copy_options::overwrite_existing);
  const std::string path = Write("conf/web.yml",
                                 "tls_server_config:\n"
                                 "  cert_file: certs/server.crt\n"
                                 "  key_file: ../server.key\n"
                                 "  client_ca_file: " +
                                     Path("ca.crt") +
                                     "\n"
                                     "  client_auth_type: RequestClientCert\n");
  ASSERT_NE(fs::current_path(), dir_ / "conf");
  ConfigErrors errors;
  auto cfg = LoadWebConfig(path, &errors);
  ASSERT_TRUE(cfg.has_value()) << Describe(errors);
  EXPECT_EQ(cfg->tls->cert_file, Path("conf/certs/server.crt"));
  EXPECT_EQ(cfg->tls->key_file, Path("server.key"));
  EXPECT_EQ(cfg->tls->client_ca_file, Path("ca.crt"));  // absolute: kept
}

TEST_F(WebConfigTest, MakeServerTlsContext) {
  std::string error;
  EXPECT_NE(MakeServerTlsContext(ServerTls(), &error), nullptr) << error;

  for (const char* auth :
       {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
        "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}) {
    TlsServerConfig tls = ServerTls();
    tls.client_auth_type = auth;
    tls.client_ca_file = Path("ca.crt");
    tls.min_version = "TLS13";
    tls.max_version = "TLS13";
    EXPECT_NE(MakeServerTlsContext(tls, &error), nullptr) << auth << error;
  }

  TlsServerConfig tls = ServerTls();
  tls.key_file = Path("other.key");
  error.clear();
  EXPECT_EQ(MakeServerTlsContext(tls, &error), nullptr);
  EXPECT_NE(error.find("key_file"), std::string::npos) << error;
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;

  tls = ServerTls();
  tls.cert_file = Path("missing.crt");
  EXPECT_EQ(MakeServerTlsContext(tls, &error), nullptr);
  EXPECT_NE(error.find("cert_file: cannot read"), std::string::npos) << error;

  tls = ServerTls();
  tls.client_auth_type = "Bogus";
  EXPECT_EQ(MakeServerTlsContext(tls, &error), nullptr);
  EXPECT_NE(error.find("client_auth_type"), std::string::npos) << error;

  tls = ServerTls();
  tls.client_auth_type = "RequireAndVerifyClientCert";
  EXPECT_EQ(MakeServerTlsContext(tls, &error), nullptr);
  EXPECT_NE(error.find("client_ca_file"), std::string::npos) << error;
}

TEST_F(WebConfigTest, BasicAuthAcceptsHtpasswdHashes) {
  BasicAuth auth(UserMap());
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "secret")));
  EXPECT_TRUE(auth.Check(BasicHeader("bob", "correct horse")));
  EXPECT_TRUE(auth.Check(BasicHeader("carol", "pa:ss:word")));
  // Split at the first ':', so this is the same credential.
  EXPECT_TRUE(auth.Check(BasicHeader("carol:pa", "ss:word")));
  // Cached now: same answers.
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "secret")));
  EXPECT_TRUE(auth.Check(BasicHeader("bob", "correct horse")));
  EXPECT_TRUE(auth.Check(BasicHeader("carol", "pa:ss:word")));

  // $2b$ and $2a$ spellings of the same hash.
  std::string b = alice_hash_, a = alice_hash_;
  b[2] = 'b';
  a[2] = 'a';
  EXPECT_TRUE(BasicAuth({{"alice", b}}).Check(BasicHeader("alice", "secret")));
  EXPECT_TRUE(BasicAuth({{"alice", a}}).Check(BasicHeader("alice", "secret")));
}

TEST_F(WebConfigTest, BasicAuthRejects) {
  BasicAuth auth(UserMap());
  ASSERT_TRUE(auth.Check(BasicHeader("alice", "secret")));  // warm the cache
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "Secret")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "secret ")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", "")));
  EXPECT_FALSE(auth.Check(BasicHeader("bob", "secret")));  // alice's password
  EXPECT_FALSE(auth.Check(BasicHeader("mallory", "secret")));
  EXPECT_FALSE(auth.Check(BasicHeader("", "secret")));
  EXPECT_FALSE(auth.Check(BasicHeader("Alice", "secret")));
  EXPECT_FALSE(auth.Check(BasicHeader("carol", "pa")));
  EXPECT_FALSE(auth.Check(BasicHeader("alice", std::string("secret\0x", 8))));
  // Still accepted after all the misses.
  EXPECT_TRUE(auth.Check(BasicHeader("alice", "secret")));

  // No users: nothing passes.
  BasicAuth none;
  EXPECT_FALSE(none.enabled());
  EXPECT_FALSE(none.Check(BasicHeader("alice", "secret")));
  // A hash that changed does not reuse the old cached verification.
  EXPECT_FALSE(
      BasicAuth({{"alice", bob_hash_}}).Check(BasicHeader("alice", "secret")));
}

// An unknown user pays for a bcrypt run too (the decoy hash works).
TEST_F(WebConfigTest, BasicAuthMalformedHeaders) {
  BasicAuth auth(UserMap());
  const std::string token = Base64("alice:secret");
  for (const std::string& h : std::vector<std::string>{
           "",
           "Basic",
           "Basic ",
           token,
           "Bearer " + token,
           "Basic" + token,
           "Basicc " + token,
           "Basic " + token.substr(0, token.size() - 1),
           "Basic " + token + "=",
           "Basic " + token + "AAAA=",
           "Basic " + token.substr(0, 4) + " " + token.substr(4),
           "Basic " + token.substr(0, 4) + "*" + token.substr(5),
           "Basic =" + token.substr(1),
           "Basic " + Base64("alicesecret"),
           "Basic " + Base64(""),
       }) {
    EXPECT_FALSE(auth.Check(h)) << "'" << h << "'";
  }
  for (const std::string& h : std::vector<std::string>{
           "Basic " + token,
           "basic " + token,
           "BASIC " + token,
           "bAsIc " + token,
           "Basic   " + token + "  ",
           " Basic\t" + token,
       }) {
    EXPECT_TRUE(auth.Check(h)) << "'" << h << "'";
  }
}

// The split the HTTP server uses to keep bcrypt off its I/O threads.
TEST_F(WebConfigTest, BasicAuthLookupAndVerify) {
  BasicAuth auth(UserMap());
  const std::string good = BasicHeader("alice", "secret");
  // Malformed or absent: denied without bcrypt.
  for (const std::string& h :
       {std::string(), std::string("Bearer x"), std::string("Basic !!"),
        "Basic " + Base64("no-colon")}) {
    EXPECT_EQ(auth.Lookup(h), AuthResult::kDenied) << h;
    EXPECT_FALSE(auth.Verify(h)) << h;
  }
  // Well-formed: bcrypt decides, known user or not.
  EXPECT_EQ(auth.Lookup(good), AuthResult::kNeedsVerify);
  EXPECT_EQ(auth.Lookup(BasicHeader("mallory", "secret")),
            AuthResult::kNeedsVerify);
  EXPECT_EQ(auth.Lookup(BasicHeader("alice", "wrong")),
            AuthResult::kNeedsVerify);
  EXPECT_FALSE(auth.Verify(BasicHeader("mallory", "secret")));
  EXPECT_FALSE(auth.Verify(BasicHeader("alice", "wrong")));
  EXPECT_EQ(auth.Lookup(good), AuthResult::kNeedsVerify);  // nothing cached
  // A verified credential is cached: Lookup answers alone from then on.
  EXPECT_TRUE(auth.Verify(good));
  EXPECT_EQ(auth.Lookup(good), AuthResult::kOk);
  EXPECT_EQ(auth.Lookup("basic  " + Base64("alice:secret")), AuthResult::kOk);
  EXPECT_EQ(auth.Lookup(BasicHeader("alice", "secreT")),
            AuthResult::kNeedsVerify);
  EXPECT_EQ(auth.Lookup(BasicHeader("bob", "secret")),
            AuthResult::kNeedsVerify);
  // A NUL in the password: Verify pays the decoy and refuses.
  const std::string nul = BasicHeader("alice", std::string("secret\0x", 8));
  EXPECT_EQ(auth.Lookup(nul), AuthResult::kNeedsVerify);
  EXPECT_FALSE(auth.Verify(nul));
  EXPECT_EQ(auth.Lookup(nul), AuthResult::kNeedsVerify);
  // Check is Lookup, then Verify.
  EXPECT_TRUE(auth.Check(good));
  EXPECT_TRUE(auth.Check(BasicHeader("bob", "correct horse")));
  EXPECT_EQ(auth.Lookup(BasicHeader("bob", "correct horse")), AuthResult::kOk);

  // No users: everything denied.
  BasicAuth none;
  EXPECT_EQ(none.Lookup(good), AuthResult::kDenied);
  EXPECT_FALSE(none.Verify(good));
}

// bcrypt reads 72 bytes of a password (documented in web_config.h).
TEST_F(WebConfigTest, BasicAuthPasswordsPast72BytesAreTruncated) {
  const std::string long_pw(72, 'p');
  BasicAuth auth({{"erin", Htpasswd("erin", long_pw, 4)}});
  EXPECT_TRUE(auth.Verify(BasicHeader("erin", long_pw)));
  EXPECT_TRUE(auth.Verify(BasicHeader("erin", long_pw + "ignored")));
  EXPECT_FALSE(auth.Verify(BasicHeader("erin", long_pw.substr(1))));
}

// An unknown user costs what a known user costs (one bcrypt cost for all).
TEST_F(WebConfigTest, BasicAuthUnknownUserCostsTheSame) {
  BasicAuth auth({{"dave", dave10_hash_}});  // cost 10: ~50 ms a run
  auto time = [&](const std::string& user) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      auto start = std::chrono::steady_clock::now();
      EXPECT_FALSE(auth.Verify(BasicHeader(user, "wrong")));
      best = std::min(best, std::chrono::steady_clock::now() - start);
    }
    return std::chrono::duration<double>(best).count();
  };
  const double known = time("dave"), unknown = time("mallory");
  EXPECT_GT(unknown, known * 0.5) << known << " s vs " << unknown << " s";
  EXPECT_LT(unknown, known * 2.0) << known << " s vs " << unknown << " s";
}

TEST_F(WebConfigTest, BasicAuthConcurrent) {
  BasicAuth auth(UserMap());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        bool good = (i + t) % 2 == 0;
        bool got = auth.Check(BasicHeader("alice", good ? "secret" : "nope"));
        if (got != good) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// A real handshake between a server using MakeServerTlsContext and a client
// verifying against the test CA. Both sides run on one io_context.
struct Handshake {
  bool server_ok = false;  // server handshake completed
  bool client_ok = false;  // client handshake completed and read "ok"
  std::string log;
};

Handshake DoHandshake(ssl::context& server_ctx, ssl::context& client_ctx) {
  Handshake r;
  asio::io_context io;
  tcp::acceptor acceptor(io,
                         tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ssl::stream<tcp::socket> server(io, server_ctx);
  ssl::stream<tcp::socket> client(io, client_ctx);
  client.set_verify_mode(ssl::verify_peer);
  client.set_verify_callback(ssl::host_name_verification("localhost"));
  std::array<char, 2> buf{};

  acceptor.async_accept(
      server.next_layer(), [&](const boost::system::error_code& accept_ec) {
        if (accept_ec) {
          r.log += "accept: " + accept_ec.message() + "\n";
          return;
        }
        server.async_handshake(
            ssl::stream_base::server,
            [&](const boost::system::error_code& server_ec) {
              if (server_ec) {
                r.log += "server: " + server_ec.message() + "\n";
                server.next_layer().close();
                return;
              }
              r.server_ok = true;
              asio::async_write(
                  server, asio::buffer("ok", 2),
                  [&](const boost::system::error_code& write_ec, size_t) {
                    if (write_ec)
                      r.log += "write: " + write_ec.message() + "\n";
                  });
            });
      });
  client.next_layer().async_connect(
      acceptor.local_endpoint(),
      [&](const boost::system::error_code& connect_ec) {
        if (connect_ec) {
          r.log += "connect: " + connect_ec.message() + "\n";
          return;
        }
        client.async_handshake(
            ssl::stream_base::client,
            [&](const boost::system::error_code& client_ec) {
              if (client_ec) {
                r.log += "client: " + client_ec.message() + "\n";
                return;
              }
              asio::async_read(
                  client, asio::buffer(buf),
                  [&](const boost::system::error_code& read_ec, size_t n) {
                    if (read_ec) {
                      r.log += "read: " + read_ec.message() + "\n";
                      return;
                    }
                    r.client_ok = n == 2 && buf[0] == 'o' && buf[1] == 'k';
                  });
            });
      });
  io.run_for(std::chrono::seconds(20));
  if (!io.stopped()) r.log += "timed out\n";
  return r;
}

class TlsHandshakeTest : public WebConfigTest {
 protected:
  std::shared_ptr<ssl::context> Server(const std::string& client_auth,
                                       const std::string& max_version = "") {
    TlsServerConfig tls = ServerTls();
    tls.client_auth_type = client_auth;
    if (client_auth != "NoClientCert") tls.client_ca_file = Path("ca.crt");
    tls.max_version = max_version;
    std::string error;
    auto ctx = MakeServerTlsContext(tls, &error);
    EXPECT_NE(ctx, nullptr) << error;
    return ctx;
  }

  // A client trusting the test CA, presenting `cert` ("client", "rogue" or
  // none).
  std::unique_ptr<ssl::context> Client(const std::string& cert = "",
                                       int max_version = 0) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->load_verify_file(Path("ca.crt"));
    if (!cert.empty()) {
      ctx->use_certificate_chain_file(Path(cert + ".crt"));
      ctx->use_private_key_file(Path(cert + ".key"), ssl::context::pem);
    }
    if (max_version != 0) {
      SSL_CTX_set_max_proto_version(ctx->native_handle(), max_version);
    }
    return ctx;
  }
};

TEST_F(TlsHandshakeTest, NoClientCert) {
  auto server = Server("NoClientCert");
  ASSERT_NE(server, nullptr);
  for (int version : {0, TLS1_2_VERSION}) {
    Handshake r = DoHandshake(*server, *Client("", version));
    EXPECT_TRUE(r.server_ok && r.client_ok) << version << "\n" << r.log;
  }
}

TEST_F(TlsHandshakeTest, RequireAndVerifyClientCert) {
  auto server = Server("RequireAndVerifyClientCert");
  ASSERT_NE(server, nullptr);
  for (int version : {0, TLS1_2_VERSION}) {
    Handshake with = DoHandshake(*server, *Client("client", version));
    EXPECT_TRUE(with.server_ok && with.client_ok) << version << "\n"
                                                  << with.log;
    Handshake without = DoHandshake(*server, *Client("", version));
    EXPECT_FALSE(without.server_ok) << version << "\n" << without.log;
    EXPECT_FALSE(without.client_ok) << version << "\n" << without.log;
    Handshake rogue = DoHandshake(*server, *Client("rogue", version));
    EXPECT_FALSE(rogue.server_ok) << version << "\n" << rogue.log;
    EXPECT_FALSE(rogue.client_ok) << version << "\n" << rogue.log;
  }
}

TEST_F(TlsHandshakeTest, RequireAnyClientCert) {
  auto server = Server("RequireAnyClientCert");
  ASSERT_NE(server, nullptr);
  Handshake rogue = DoHandshake(*server, *Client("rogue"));
  EXPECT_TRUE(rogue.server_ok && rogue.client_ok) << rogue.log;
  Handshake without = DoHandshake(*server, *Client());
  EXPECT_FALSE(without.server_ok || without.client_ok) << without.log;
}

TEST_F(TlsHandshakeTest, OptionalClientCerts) {
  auto request = Server("RequestClientCert");
  auto if_given = Server("VerifyClientCertIfGiven");
  ASSERT_NE(request, nullptr);
  ASSERT_NE(if_given, nullptr);
  for (const char* cert : {"", "client", "rogue"}) {
    Handshake r = DoHandshake(*request, *Client(cert));
    EXPECT_TRUE(r.server_ok && r.client_ok) << cert << "\n" << r.log;
  }
  for (const char* cert : {"", "client"}) {
    Handshake r = DoHandshake(*if_given, *Client(cert));
    EXPECT_TRUE(r.server_ok && r.client_ok) << cert << "\n" << r.log;
  }
  Handshake rogue = DoHandshake(*if_given, *Client("rogue"));
  EXPECT_FALSE(rogue.server_ok || rogue.client_ok) << rogue.log;
}

TEST_F(TlsHandshakeTest, VersionBounds) {
  TlsServerConfig tls = ServerTls();
  tls.min_version = "TLS13";
  std::string error;
  auto tls13 = MakeServerTlsContext(tls, &error);
  ASSERT_NE(tls13, nullptr) << error;
  EXPECT_FALSE(DoHandshake(*tls13, *Client("", TLS1_2_VERSION)).client_ok);
  EXPECT_TRUE(DoHandshake(*tls13, *Client()).client_ok);

  auto tls12 = Server("NoClientCert", "TLS12");
  ASSERT_NE(tls12, nullptr);
  Handshake r = DoHandshake(*tls12, *Client());
  EXPECT_TRUE(r.client_ok) << r.log;
}

}  // namespace
}  // namespace exporterd
