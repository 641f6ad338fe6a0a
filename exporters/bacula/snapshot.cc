#include "snapshot.h"

#include <cstdio>
#include <ctime>

namespace bacula {

std::string StatusClass(char status, int64_t errors, int64_t missing_files) {
  switch (status) {
    case 'T':
      return errors > 0 || missing_files > 0 ? "warning" : "ok";
    case 'W':
      return "warning";
    case 'E':
    case 'e':
      return "error";
    case 'f':
      return "fatal";
    case 'A':
      return "canceled";
    default:
      return "other";
  }
}

const std::vector<std::string>& StatusClasses() {
  static const std::vector<std::string> v = {"ok",    "warning",  "error",
                                             "fatal", "canceled", "other"};
  return v;
}

bool IsRunningCode(char s) {
  switch (s) {
    case 'R':
    case 'a':
    case 'i':
    case 'L':
    case 'l':
    case 'u':
    case 'w':
      return true;
    default:
      return false;
  }
}

namespace {
struct Waiting {
  char code;
  const char* reason;
};
constexpr Waiting kWaiting[] = {
    {'C', "created"},          {'B', "blocked"},      {'F', "client"},
    {'S', "storage"},          {'m', "media"},        {'M', "mount"},
    {'s', "storage-resource"}, {'j', "job-resource"}, {'c', "client-resource"},
    {'d', "max-jobs"},         {'t', "start-time"},   {'p', "priority"},
    {'q', "device"},
};
}  // namespace

std::string WaitingReason(char s) {
  for (const auto& w : kWaiting)
    if (w.code == s) return w.reason;
  return {};
}

const std::vector<std::string>& WaitingReasons() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (const auto& w : kWaiting) out.emplace_back(w.reason);
    return out;
  }();
  return v;
}

std::string UnfinishedCodesSql() {
  std::string out;
  auto add = [&](char c) {
    if (!out.empty()) out += ",";
    out += "'";
    out += c;
    out += "'";
  };
  for (char c : std::string_view("RaiLluw")) add(c);
  for (const auto& w : kWaiting) add(w.code);
  return out;
}

bool IsUnfinishedStatus(std::string_view status) {
  return status.size() == 1 &&
         (IsRunningCode(status[0]) || !WaitingReason(status[0]).empty());
}

std::string SuccessLevel(char level) {
  switch (level) {
    case 'F':
    case 'f':
      return "full";
    case 'D':
      return "differential";
    case 'I':
      return "incremental";
    default:
      return {};
  }
}

std::string TypeLabel(char type) {
  switch (type) {
    case 'B':
      return {};
    case 'R':
      return "restore";
    case 'D':
      return "admin";
    case 'V':
      return "verify";
    case 'C':
      return "copied";
    case 'c':
      return "copy";
    case 'M':
      return "migrated";
    case 'g':
      return "migration";
    case 'A':
      return "archive";
    case 'U':
      return "console";
    case 'I':
      return "internal";
    case 'S':
      return "scan";
    default:
      return std::string(1, type);
  }
}

const std::vector<std::string>& VolumeStatuses() {
  static const std::vector<std::string> v = {
      "Append",  "Full",      "Used",     "Error", "Purged",  "Recycle",
      "Archive", "Read-Only", "Disabled", "Busy",  "Cleaning"};
  return v;
}

std::optional<int64_t> ParseCatalogTime(std::string_view s) {
  int y, mo, d, h, mi, sec;
  std::string str(s.substr(0, 19));
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi,
                  &sec) != 6 ||
      y < 1971)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace bacula
