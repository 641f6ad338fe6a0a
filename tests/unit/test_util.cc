#include "test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporterd/runner.h"

namespace exporterd::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/exporterd-test-XXXXXX";
  char* p = mkdtemp(tmpl);
  if (!p) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name,
                           const std::string& content) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

std::string Sh(const std::string& cmd) {
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  RunResult r = Run({"/bin/sh", "-c", cmd}, o);
  EXPECT_TRUE(r.Success()) << cmd << "\n" << r.err << r.error;
  return r.out;
}

bool HttpResult::HasHeader(const std::string& prefix) const {
  std::istringstream in(headers);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (strncasecmp(line.c_str(), prefix.c_str(), prefix.size()) == 0)
      return true;
  }
  return false;
}

HttpResult Curl(const std::string& url, std::vector<std::string> args) {
  TempDir tmp;
  std::vector<std::string> argv = {"curl",       "-sS",
                                   "-D",         tmp.path() + "/h",
                                   "-o",         tmp.path() + "/b",
                                   "-w",         "%{http_code}",
                                   "--max-time", "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  RunOptions o;
  o.timeout = std::chrono::seconds(90);
  RunResult r = Run(argv, o);
  HttpResult h;
  h.status = std::atoi(r.out.c_str());
  std::ifstream hf(tmp.path() + "/h", std::ios::binary);
  h.headers.assign(std::istreambuf_iterator<char>(hf), {});
  std::ifstream bf(tmp.path() + "/b", std::ios::binary);
  h.body.assign(std::istreambuf_iterator<char>(bf), {});
  return h;
}

double Sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  }
  return NAN;
}

void TestDaemon::WriteConfig(const std::string& config) const {
  dir_.Write("exporterd.yml", config);
}

bool TestDaemon::Start(const std::string& config, const std::string& web,
                       std::string* error) {
  if (!config.empty()) {
    WriteConfig(config);
    flags_.config_file = config_path();
  }
  if (!web.empty()) flags_.web_config_file = dir_.Write("web.yml", web);
  flags_.listen_addresses = {"127.0.0.1:0"};
  if (flags_.module_dirs.empty()) flags_.module_dirs = {TEST_MODULE_DIR};
  app_ = std::make_unique<App>(flags_, &logger_);
  std::string err;
  if (!app_->Start(&err)) {
    if (error)
      *error = err;
    else
      ADD_FAILURE() << "daemon did not start: " << err;
    return false;
  }
  port_ = app_->Ports().at(0);
  return true;
}

void TestDaemon::Stop() {
  if (app_) app_->Stop();
  app_.reset();
}

std::string TestDaemon::Url(const std::string& path, bool tls) const {
  return std::string(tls ? "https://localhost:" : "http://127.0.0.1:") +
         std::to_string(port_) + path;
}

HttpResult TestDaemon::Get(const std::string& path,
                           std::vector<std::string> args, bool tls) const {
  return Curl(Url(path, tls), std::move(args));
}

}  // namespace exporterd::testing
