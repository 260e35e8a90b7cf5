#include "tool_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gk/hal/unique_fd.hpp"

extern char** environ;

namespace gk::flash {

namespace {

// Reaps the child on every path out of run_tool, killing it first if it still runs.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_;
};

}  // namespace

Outcome<ToolRun> run_tool(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env, std::size_t max_out,
                          std::chrono::milliseconds deadline) {
  if (argv.empty()) return flash_error(Problem::bundle_failed, "no tool to run");
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; e && *e; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return flash_error(Problem::bundle_failed, std::string("pipe: ") + std::strerror(errno));
  hal::UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return flash_error(Problem::bundle_failed, std::string("pipe: ") + std::strerror(errno));
  hal::UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  const pid_t pid = ::fork();
  if (pid < 0)
    return flash_error(Problem::bundle_failed, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_w.get(), STDOUT_FILENO);
    ::dup2(err_w.get(), STDERR_FILENO);
    ::execvpe(args[0], args.data(), env.data());
    const char msg[] = "cannot execute the tool (is mtools installed?)\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  Child child(pid);
  out_w.reset();
  err_w.reset();

  ToolRun run;
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return flash_error(Problem::bundle_failed, argv[0] + " did not finish in time");
    pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0},
                     {err_open ? err_r.get() : -1, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return flash_error(Problem::bundle_failed, std::string("poll: ") + std::strerror(errno));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      std::string& sink = i == 0 ? run.out : run.err;
      const std::size_t limit = i == 0 ? max_out : 65536;
      if (sink.size() + static_cast<std::size_t>(got) > limit)
        return flash_error(Problem::bundle_failed, argv[0] + " wrote more output than expected");
      sink.append(buf, static_cast<std::size_t>(got));
    }
  }
  run.exit_status = child.wait();
  return run;
}

}  // namespace gk::flash
