#include "logger.h"

#include <chrono>
#include <ctime>

namespace exporterd {

namespace {

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// logfmt: quote when the value has a space, quote, '=' or is empty.
void AppendLogfmtValue(std::string* out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') quote = true;
  if (!quote) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendJsonString(std::string* out, std::string_view v) {
  out->push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string Now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                           now.time_since_epoch())
                           .count() %
                       1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, ms);
  return buf;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(const std::string& s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string StderrLogger::Format(LogFormat format, LogLevel level,
                                 std::string_view msg, const LogFields& fields,
                                 const std::string& timestamp) {
  std::string line;
  if (format == LogFormat::kLogfmt) {
    line = "ts=" + timestamp + " level=" + LevelName(level) + " msg=";
    AppendLogfmtValue(&line, msg);
    for (const auto& [k, v] : fields) {
      line += " " + k + "=";
      AppendLogfmtValue(&line, v);
    }
  } else {
    line = "{\"ts\":\"" + timestamp + "\",\"level\":\"" + LevelName(level) +
           "\",\"msg\":";
    AppendJsonString(&line, msg);
    for (const auto& [k, v] : fields) {
      line.push_back(',');
      AppendJsonString(&line, k);
      line.push_back(':');
      AppendJsonString(&line, v);
    }
    line.push_back('}');
  }
  return line;
}

void StderrLogger::Log(LogLevel level, std::string_view msg,
                       const LogFields& fields) noexcept {
  if (level < level_) return;
  try {
    std::string line = Format(format_, level, msg, fields, Now());
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  } catch (...) {
  }
}

void FieldLogger::Log(LogLevel level, std::string_view msg,
                      const LogFields& fields) noexcept {
  try {
    LogFields all = prefix_;
    all.insert(all.end(), fields.begin(), fields.end());
    base_->Log(level, msg, all);
  } catch (...) {
  }
}

}  // namespace exporterd
