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

}  // namespace postfix_qshape::testing
