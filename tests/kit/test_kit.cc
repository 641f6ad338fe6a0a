#include "test_kit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "event_loops.h"
#include "exporterd/runner.h"
#include "exposition.h"

namespace exporterd::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/exporterd-test-XXXXXX";
  char* p = mkdtemp(tmpl);
  if (!p) std::abort();
  path_ = p;
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

std::string TempDir::Write(const std::string& name, std::string_view content,
                           mode_t mode) const {
  std::string p = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << p;
  }
  chmod(p.c_str(), mode);
  return p;
}

std::string TempDir::Mkdir(const std::string& name, mode_t mode) const {
  std::string p = path_ + "/" + name;
  std::filesystem::create_directories(p);
  chmod(p.c_str(), mode);
  return p;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectGolden(const std::string& path, const std::string& got) {
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << got;
    return;
  }
  EXPECT_EQ(ReadFile(path), got)
      << "golden " << path << " (UPDATE_GOLDEN=1 rewrites it)";
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  return exporterd::Serialize(families);
}

std::string PromtoolCheckMetrics(const std::string& exposition) {
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  o.stdin_data = exposition;
  RunResult r = Run({"promtool", "check", "metrics"}, o);
  if (r.Success()) return "";
  return "promtool check metrics failed: " + r.error + r.out + r.err;
}

void CaptureLogger::Log(LogLevel, std::string_view msg,
                        const LogFields& fields) noexcept {
  std::string line(msg);
  for (const auto& [k, v] : fields) line += " " + k + "=" + v;
  lines.push_back(std::move(line));
}

bool CaptureLogger::Contains(std::string_view needle) const {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

namespace kit_detail {

bool MakeEnv(const std::string& name, const std::string& exporterd_yaml,
             bool embedded, Logger* logger, ConfigErrors* errors,
             std::shared_ptr<void>* keep, ModuleEnv* env) {
  const std::string file = embedded ? kEmbeddedConfigName : "exporterd.yml";
  std::optional<Config> cfg = ParseConfig(exporterd_yaml, file, errors);
  if (!cfg) return false;
  auto owned = std::make_shared<Config>(std::move(*cfg));
  for (const ModuleConfig& mc : owned->modules) {
    if (mc.name != name) continue;
    env->name = name;
    env->config = &mc.body;
    env->config_file = file;
    env->key_path = "modules." + name;
    env->embedded_default = embedded;
    env->logger = logger;
    env->timeout = mc.timeout;
    env->min_interval = mc.min_interval;
    static CoreLoops loops(1);  // started once, shared by every test
    static const bool started = (loops.Start(), true);
    (void)started;
    env->loops = &loops;
    *keep = owned;
    return true;
  }
  errors->Add(file, 0, "modules", "no module " + name + " in the config");
  return false;
}

}  // namespace kit_detail

void ExpectReadmeReference(const std::string& readme_path,
                           const std::string& reference) {
  const std::string readme = ReadFile(readme_path);
  const std::string begin = "<!-- config:begin -->\n";
  const std::string end = "<!-- config:end -->";
  size_t a = readme.find(begin);
  size_t b = readme.find(end);
  ASSERT_NE(a, std::string::npos) << readme_path << " has no " << begin;
  ASSERT_NE(b, std::string::npos) << readme_path << " has no " << end;
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::string updated =
        readme.substr(0, a + begin.size()) + reference + readme.substr(b);
    std::ofstream(readme_path, std::ios::binary) << updated;
    return;
  }
  EXPECT_EQ(readme.substr(a + begin.size(), b - a - begin.size()), reference)
      << readme_path
      << ": the config reference differs from the module's declaration";
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

void RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  return -1;
}

int Connect(uint16_t port, const std::string& source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (!source.empty()) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &src.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendGet(int fd, const std::string& path, const std::string& headers) {
  std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
  return send(fd, req.data(), req.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(req.size());
}

std::vector<int> ConcurrentGets(uint16_t port, const std::string& path,
                                size_t n, std::chrono::milliseconds timeout,
                                const std::string& headers,
                                const std::string& source) {
  std::vector<int> fds(n, -1), status(n, 0);
  std::vector<std::string> got(n);
  for (size_t i = 0; i < n; ++i) {
    fds[i] = Connect(port, source);
    if (fds[i] >= 0 && !SendGet(fds[i], path, headers)) {
      close(fds[i]);
      fds[i] = -1;
    }
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  size_t open = 0;
  for (int fd : fds) open += fd >= 0;
  while (open > 0 && std::chrono::steady_clock::now() < until) {
    std::vector<pollfd> p;
    std::vector<size_t> idx;
    for (size_t i = 0; i < n; ++i)
      if (fds[i] >= 0) {
        p.push_back({fds[i], POLLIN, 0});
        idx.push_back(i);
      }
    int left =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                             until - std::chrono::steady_clock::now())
                             .count());
    if (poll(p.data(), p.size(), std::max(left, 1)) <= 0) continue;
    for (size_t k = 0; k < p.size(); ++k) {
      if (!p[k].revents) continue;
      size_t i = idx[k];
      char buf[4096];
      ssize_t r = read(fds[i], buf, sizeof buf);
      if (r > 0) got[i].append(buf, static_cast<size_t>(r));
      // A status line is enough.
      if (r <= 0 || got[i].find("\r\n") != std::string::npos) {
        if (got[i].rfind("HTTP/1.1 ", 0) == 0)
          status[i] = std::atoi(got[i].c_str() + 9);
        close(fds[i]);
        fds[i] = -1;
        --open;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0) close(fd);
  return status;
}

SilentSocket::SilentSocket(Kind kind) {
  fd_ = socket(AF_INET, kind == kTcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      (kind == kTcp && listen(fd_, 4096) != 0))
    ADD_FAILURE() << "silent socket: " << std::strerror(errno);
  port_ = ntohs(a.sin_port);
}

SilentSocket::~SilentSocket() {
  if (fd_ >= 0) close(fd_);
}

std::string SilentSocket::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

uint16_t ClosedUdpPort() {
  SilentSocket s(SilentSocket::kUdp);
  return s.port();
}

uint16_t FreePort() {
  static unsigned seed = static_cast<unsigned>(getpid());
  for (int attempt = 0; attempt < 200; ++attempt) {
    uint16_t port = static_cast<uint16_t>(20000 + rand_r(&seed) % 12000);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(fd);
    if (ok) return port;
  }
  return 0;
}

bool DaemonProcess::Start(std::vector<std::string> flags,
                          const std::string& sh_prefix) {
  port_ = FreePort();
  bool has_listen = false, has_dir = false;
  for (const auto& f : flags) {
    has_listen = has_listen || f.rfind("--web.listen-address", 0) == 0;
    has_dir = has_dir || f.rfind("--module.dir", 0) == 0;
  }
  if (!has_listen)
    flags.push_back("--web.listen-address=127.0.0.1:" + std::to_string(port_));
  if (!has_dir) flags.push_back("--module.dir=" TEST_MODULE_DIR);
  std::string cmd =
      sh_prefix + " exec \"$0\" \"$@\" 2>>'" + dir_.path() + "/stderr.log'";
  std::vector<std::string> argv = {"/bin/sh", "-c", cmd, EXPORTERD_BINARY};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (!proc_.Start(argv)) return false;
  // 401: up, behind basic auth.
  return WaitFor(
             [&] {
               if (!proc_.Alive()) return true;
               int fd = Connect(port_);
               if (fd < 0) return false;
               close(fd);
               const int st = Get("/-/ready").status;
               return st == 200 || st == 401;
             },
             std::chrono::seconds(10)) &&
         proc_.Alive();
}

bool WaitFor(const std::function<bool()>& fn,
             std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

bool ChildProcess::Start(const std::vector<std::string>& argv,
                         const std::string& log) {
  Stop();
  std::vector<char*> a;  // execvp does not write through these
  for (const auto& x : argv) a.push_back(const_cast<char*>(x.c_str()));
  a.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    if (!log.empty()) {
      int fd =
          open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
    }
    execvp(a[0], a.data());
    _exit(127);
  }
  exit_status_ = 0;
  return pid_ > 0;
}

bool ChildProcess::Reap(int options) {
  int status = 0;
  if (waitpid(pid_, &status, options) != pid_ || WIFSTOPPED(status))
    return false;
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return true;
}

double ChildProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  kill(-pid_, SIGTERM);
  kill(-pid_, SIGCONT);  // a paused one handles SIGTERM once resumed
  while (std::chrono::steady_clock::now() - t0 < timeout) {
    if (Reap(WNOHANG))
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           t0)
          .count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid_, SIGKILL);
  Reap(0);
  return -1;
}

bool ChildProcess::Signal(int sig) const {
  return pid_ > 0 && kill(pid_, sig) == 0;
}

void ChildProcess::Pause() {
  if (!Signal(SIGSTOP)) return;
  // The stop reaches the threads one by one, and one not yet stopped still
  // answers; the parent is told once all are (or that it had exited).
  Reap(WUNTRACED);
}

bool ChildProcess::Alive() { return pid_ > 0 && !Reap(WNOHANG); }

std::string DaemonProcess::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

HttpResult DaemonProcess::Get(const std::string& path,
                              std::vector<std::string> args) const {
  return Curl(Url(path), std::move(args));
}

std::string DaemonProcess::Log() const {
  std::ifstream in(dir_.path() + "/stderr.log", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double DaemonProcess::CpuSeconds() const {
  std::ifstream in("/proc/" + std::to_string(pid()) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t rp = stat.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream ss(stat.substr(rp + 2));
  std::vector<std::string> f;
  std::string tok;
  while (ss >> tok) f.push_back(tok);
  if (f.size() < 13) return -1;
  return (std::stod(f[11]) + std::stod(f[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

long DaemonProcess::RssKiB() const {
  std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace exporterd::testing
