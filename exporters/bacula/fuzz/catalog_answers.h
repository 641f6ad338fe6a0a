// A catalog's answers as text, for the catalog fuzz target and its seeds:
// the rows each SELECT returned, in the order they were asked. One row a
// line, columns separated by a tab, NULL written \N, and \\, \t, \n for a
// backslash, tab and newline inside a value (PostgreSQL COPY's text form);
// a line "\." ends one answer.
#ifndef EXPORTERS_BACULA_FUZZ_CATALOG_ANSWERS_H_
#define EXPORTERS_BACULA_FUZZ_CATALOG_ANSWERS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog.h"

namespace bacula::fuzz {

using Answers = std::vector<std::vector<Row>>;

inline std::string EncodeAnswers(const Answers& answers) {
  std::string out;
  for (const std::vector<Row>& rows : answers) {
    for (const Row& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += '\t';
        if (!row[i]) {
          out += "\\N";
          continue;
        }
        for (char c : *row[i]) {
          if (c == '\\') {
            out += "\\\\";
          } else if (c == '\t') {
            out += "\\t";
          } else if (c == '\n') {
            out += "\\n";
          } else {
            out += c;
          }
        }
      }
      out += '\n';
    }
    out += "\\.\n";
  }
  return out;
}

inline Answers DecodeAnswers(std::string_view text) {
  Answers answers(1);
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line == "\\.") {
      answers.emplace_back();
      continue;
    }
    Row row(1);
    std::string* value = &row.back().emplace();
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '\t') {
        value = &row.emplace_back().emplace();
      } else if (c != '\\' || i + 1 == line.size()) {
        *value += c;
      } else if (line[++i] == 'N' && value->empty() &&
                 (i + 1 == line.size() || line[i + 1] == '\t')) {
        row.back().reset();
      } else {
        *value += line[i] == 't' ? '\t' : line[i] == 'n' ? '\n' : line[i];
      }
    }
    answers.back().push_back(std::move(row));
  }
  if (answers.back().empty()) answers.pop_back();  // after the last "\."
  return answers;
}

// Answers every query with the next answer; fails once they run out.
class AnswerSession : public CatalogSession {
 public:
  explicit AnswerSession(Answers answers) : answers_(std::move(answers)) {}
  bool Query(const std::string& /*sql*/, std::vector<Row>* rows,
             std::string* error) override {
    if (next_ == answers_.size()) {
      *error = "no answer left";
      return false;
    }
    *rows = answers_[next_++];
    return true;
  }

 private:
  Answers answers_;
  size_t next_ = 0;
};

}  // namespace bacula::fuzz

#endif  // EXPORTERS_BACULA_FUZZ_CATALOG_ANSWERS_H_
