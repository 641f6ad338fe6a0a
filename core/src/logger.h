// The daemon's Logger: logfmt or JSON lines on stderr, filtered by level.
#ifndef EXPORTERD_LOGGER_H_
#define EXPORTERD_LOGGER_H_

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

#include "exporterd/log.h"

namespace exporterd {

enum class LogFormat { kLogfmt, kJson };

std::optional<LogLevel> ParseLogLevel(const std::string& s);

class StderrLogger : public Logger {
 public:
  StderrLogger(LogLevel level, LogFormat format, FILE* out = stderr)
      : level_(level), format_(format), out_(out) {}
  void Log(LogLevel level, std::string_view msg,
           const LogFields& fields) noexcept override;

  // One formatted line (without the newline); exposed for tests.
  static std::string Format(LogFormat format, LogLevel level,
                            std::string_view msg, const LogFields& fields,
                            const std::string& timestamp);

 private:
  LogLevel level_;
  LogFormat format_;
  FILE* out_;
  std::mutex mu_;
};

// A logger that prefixes fields (module="...") to another logger's lines.
class FieldLogger : public Logger {
 public:
  FieldLogger(Logger* base, LogFields prefix)
      : base_(base), prefix_(std::move(prefix)) {}
  void Log(LogLevel level, std::string_view msg,
           const LogFields& fields) noexcept override;

 private:
  Logger* base_;
  LogFields prefix_;
};

}  // namespace exporterd

#endif  // EXPORTERD_LOGGER_H_
