#include "up/processes.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

namespace fabnet::up {
namespace fs = std::filesystem;

namespace {

pid_t fork_exec(const std::vector<std::string>& argv, const fs::path& log, bool own_session,
                const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (own_session) ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, 0);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // The launcher may ignore or block signals; a node starts with defaults.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

ProcessId spawn_in_own_session(const std::vector<std::string>& argv, const fs::path& log,
                               const std::vector<std::pair<std::string, std::string>>& env) {
  const pid_t pid = fork_exec(argv, log, true, env);
  if (pid < 0) return {};
  return identify(pid);
}

int run_and_wait(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = fork_exec(argv, log, false, {});
  if (pid < 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {
// /proc/<pid>/stat: "pid (comm) S ppid ... starttime(22nd field) ..."; comm may
// hold spaces and parentheses, so fields are counted after the last ')'.
bool read_stat(pid_t pid, char* state, std::uint64_t* start) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return false;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 3) *state = field.empty() ? '?' : field[0];
    if (i == 22) {
      *start = std::stoull(field);
      return true;
    }
  }
  return false;
}
}  // namespace

std::uint64_t start_ticks_of(pid_t pid) {
  char state = 0;
  std::uint64_t start = 0;
  return pid > 0 && read_stat(pid, &state, &start) ? start : 0;
}

ProcessId identify(pid_t pid) {
  return {pid, start_ticks_of(pid)};
}

ProcessState state_of(const ProcessId& process) {
  if (process.pid <= 0) return ProcessState::kGone;
  char state = 0;
  std::uint64_t start = 0;
  if (!read_stat(process.pid, &state, &start) || start != process.start_ticks)
    return ProcessState::kGone;
  if (state == 'Z' || state == 'X') return ProcessState::kGone;
  if (state == 'T' || state == 't') return ProcessState::kStopped;
  return ProcessState::kRunning;
}

void reap_children() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

bool signal_group(const ProcessId& process, int sig) {
  if (state_of(process) == ProcessState::kGone) return false;
  // The node leads its group (setsid); fall back to the pid should it not.
  if (::getpgid(process.pid) == process.pid) return ::kill(-process.pid, sig) == 0;
  return ::kill(process.pid, sig) == 0;
}

std::vector<std::string> stop_all(const std::vector<Named>& processes,
                                  std::chrono::milliseconds grace,
                                  const std::function<bool()>& hurry) {
  for (const auto& p : processes) {
    signal_group(p.process, SIGCONT);
    signal_group(p.process, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  auto any_left = [&] {
    reap_children();
    for (const auto& p : processes)
      if (state_of(p.process) != ProcessState::kGone) return true;
    return false;
  };
  while (any_left() && std::chrono::steady_clock::now() < deadline && !(hurry && hurry()))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<std::string> killed;
  for (const auto& p : processes)
    if (signal_group(p.process, SIGKILL)) killed.push_back(p.name);
  for (int i = 0; i < 100 && any_left(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return killed;
}

bool port_in_use(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
  ::close(fd);
  return taken;
}

std::string log_tail(const fs::path& file, int lines) {
  std::ifstream in(file);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "  | " + l + "\n";
  return out;
}

std::uint64_t rss_kib(const ProcessId& process) {
  if (state_of(process) == ProcessState::kGone) return 0;
  std::ifstream in("/proc/" + std::to_string(process.pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

std::string self_binary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("fabnet") : self.string();
}

}  // namespace fabnet::up
