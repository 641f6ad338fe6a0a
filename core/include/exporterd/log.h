// Structured logging (logfmt or JSON, like the Go exporters' promlog).
#ifndef EXPORTERD_LOG_H_
#define EXPORTERD_LOG_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exporterd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Implemented by the host; handed to modules through ModuleEnv.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view msg,
                   const LogFields& fields = {}) noexcept = 0;
  void Debug(std::string_view m, const LogFields& f = {}) noexcept {
    Log(LogLevel::kDebug, m, f);
  }
  void Info(std::string_view m, const LogFields& f = {}) noexcept {
    Log(LogLevel::kInfo, m, f);
  }
  void Warn(std::string_view m, const LogFields& f = {}) noexcept {
    Log(LogLevel::kWarn, m, f);
  }
  void Error(std::string_view m, const LogFields& f = {}) noexcept {
    Log(LogLevel::kError, m, f);
  }
};

}  // namespace exporterd

#endif  // EXPORTERD_LOG_H_
