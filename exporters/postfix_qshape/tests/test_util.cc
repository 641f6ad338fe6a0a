#include "test_util.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "queue_file.h"

namespace postfix_qshape::testing {

std::string Rec(char type, std::string_view data) {
  std::string out;
  AppendRecord(&out, type, data);
  return out;
}

namespace {

std::string SizeRecord(size_t content, size_t data_offset, size_t rcpts) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%15zu %15zu %15zu %15d %15zu ", content,
                data_offset, rcpts, 0, content);
  return buf;
}

std::string Envelope(const Message& m) {
  std::string e;
  e += Rec('T', std::to_string(m.arrival) + " 123456");
  e += Rec('A', "create_time=" + std::to_string(m.arrival));
  e += Rec('A', "rewrite_context=local");
  e += Rec('F', "root");
  e += Rec('S', m.sender);
  for (const auto& r : m.delivered) {
    e += Rec('A', "dsn_orig_rcpt=rfc822;" + r);
    e += Rec('O', r);
    e += Rec('D', r);
  }
  for (const auto& r : m.recipients) {
    e += Rec('A', "dsn_orig_rcpt=rfc822;" + r);
    e += Rec('O', r);
    e += Rec('R', r);
  }
  return e;
}

std::string Content(const Message& m) {
  std::string c;
  for (const auto& line : m.body) c += Rec('N', line);
  return c;
}

std::string Extracted(const Message& m) {
  std::string x = Rec('X', "");
  for (const auto& r : m.extracted) x += Rec('R', r);
  return x + Rec('E', "");
}

}  // namespace

std::string CleanupFile(const Message& m) {
  std::string env = Envelope(m);
  std::string content = Content(m);
  std::string size_rec =
      Rec('C', SizeRecord(content.size(), 0, m.recipients.size()));
  // data offset = first byte after the M record
  size_t data_offset = size_rec.size() + env.size() + 2;
  if (m.size_record) {
    size_rec =
        Rec('C', SizeRecord(content.size(), data_offset, m.recipients.size()));
  } else {
    size_rec = Rec('C', "-1 -1 -1");  // no usable size: content is scanned
  }
  return size_rec + env + Rec('M', "") + content + Extracted(m);
}

std::string MaildropFile(const Message& m) {
  std::string f = Rec('T', std::to_string(m.arrival) + " 339184");
  f += Rec('A', "rewrite_context=local");
  f += Rec('F', "root");
  f += Rec('S', m.sender);
  for (const auto& r : m.recipients) f += Rec('R', r);
  return f + Rec('M', "") + Content(m) + Extracted(m);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/postfix_qshape_test.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything removable again (tests chmod things to 000).
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied,
           ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      chmod(it->path().c_str(), 0700);
  }
  std::filesystem::remove_all(path_, ec);
}

void TempDir::Mkdir(const std::string& rel, mode_t mode) const {
  std::filesystem::path p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p);
  chmod(p.c_str(), mode);
}

void TempDir::Write(const std::string& rel, std::string_view bytes,
                    mode_t mode) const {
  std::filesystem::path p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p.parent_path());
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
  }
  chmod(p.c_str(), mode);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace postfix_qshape::testing
