// gatectl health: is this kiosk fit to keep the software it booted? Camera, NFC reader,
// thermometer, gate lines, journal, storage and (when required) the upstream, each ok or
// failed with a reason. Exit 0 healthy, 1 not, 2 usage. With --rauc the verdict is handed
// to RAUC: `rauc status mark-good` keeps the booted slot, `mark-bad` makes the boot loader
// return to the other one (boards/rpi4-pn532/rauc/README.md).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "commands.hpp"
#include "device_probe.hpp"
#include "health.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

// An infrared thermometer that answers far outside what a room or a forehead can be is
// broken (or its emissivity is misconfigured), even though the bus works.
constexpr double kPlausibleMinC = -20.0;
constexpr double kPlausibleMaxC = 60.0;

Check from_probe(const DeviceProbe& p) {
  if (p.health == "absent") return {p.device, "skipped", "not configured"};
  if (p.health != "ok") return {p.device, "failed", p.driver + ": " + p.detail};
  if (p.celsius && (*p.celsius < kPlausibleMinC || *p.celsius > kPlausibleMaxC))
    return {p.device, "failed",
            p.driver + ": implausible reading " + p.detail + " (expected " +
                std::to_string(static_cast<int>(kPlausibleMinC)) + ".." +
                std::to_string(static_cast<int>(kPlausibleMaxC)) + " C)"};
  return {p.device, "ok", p.driver + ": " + p.detail};
}

// The technician's calibration of this very sensor (gatectl thermometer calibrate): a real
// MLX90614 without one, with one over a year old, or one whose points do not agree, fails.
constexpr std::int64_t kCalibrationMaxAgeDays = 365;
constexpr double kCalibrationMaxResidualC = 0.2;

Check calibration_check(const gk::Board& b, const std::string& kind) {
  const std::string name = "thermometer_calibration";
  if (!b.thermometer_calibration) {
    const std::string how =
        "not calibrated (gatectl thermometer calibrate --reference C, at a blackbody or "
        "clinical reference)";
    if (kind == "mlx90614") return {name, "failed", b.raw_thermometer->identity() + ": " + how};
    return {name, "skipped", "simulated sensor " + how};
  }
  const auto& c = *b.thermometer_calibration;
  const std::int64_t days = (static_cast<std::int64_t>(std::time(nullptr)) - c.time) / 86400;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "%s: gain %.4f, offset %+.3f C, %zu point(s), residual %.3f C, "
                "%lld day(s) old",
                c.device.c_str(), c.gain, c.offset_c, c.points.size(), c.residual_c(),
                static_cast<long long>(days));
  if (days > kCalibrationMaxAgeDays)
    return {name, "failed", std::string(buf) + ": recalibrate at least yearly"};
  if (c.residual_c() > kCalibrationMaxResidualC)
    return {name, "failed", std::string(buf) + ": the reference points disagree, recalibrate"};
  return {name, "ok", buf};
}

struct RaucOutcome {
  std::string command;  // "mark-good" / "mark-bad"
  bool ok = false;
  std::string output;  // rauc's stdout and stderr, or why it could not run
};

// Closes its fd on scope exit.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// fork + execvp with an argv (no shell); rauc's combined output is captured. An exec
// failure travels back through a close-on-exec pipe, so "rauc is not installed" is told
// apart from "rauc refused".
RaucOutcome run_rauc(const std::string& rauc, const std::string& command) {
  RaucOutcome out{command, false, {}};
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return {command, false, "pipe: " + std::string(std::strerror(errno))};
  OwnedFd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return {command, false, "pipe: " + std::string(std::strerror(errno))};
  OwnedFd err_r{err_pipe[0]}, err_w{err_pipe[1]};
  std::vector<std::string> args{rauc, "status", command, "booted"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return {command, false, "fork: " + std::string(std::strerror(errno))};
  if (pid == 0) {
    ::dup2(out_w.fd, STDOUT_FILENO);
    ::dup2(out_w.fd, STDERR_FILENO);
    ::execvp(argv[0], argv.data());
    const int e = errno;
    [[maybe_unused]] auto n = ::write(err_w.fd, &e, sizeof e);
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_r.fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.output.append(buf, static_cast<std::size_t>(n));
  int exec_errno = 0;
  const bool exec_failed = ::read(err_r.fd, &exec_errno, sizeof exec_errno) == sizeof exec_errno;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!out.output.empty() && (out.output.back() == '\n' || out.output.back() == ' '))
    out.output.pop_back();
  if (exec_failed) {
    out.output = "cannot run '" + rauc + "': " + std::strerror(exec_errno) +
                 " (is Debian's rauc package installed?)";
    return out;
  }
  out.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!out.ok)
    out.output = "'" + rauc + " status " + command + " booted' " +
                 (WIFEXITED(status) ? "exited " + std::to_string(WEXITSTATUS(status))
                                    : "was killed by signal " + std::to_string(WTERMSIG(status))) +
                 (out.output.empty() ? "" : ": " + out.output);
  return out;
}

}  // namespace

void register_health(CLI::App& app, Exit& exit) {
  struct Options {
    std::string config;
    bool json = false, require_upstream = false, rauc = false;
    std::string rauc_command = "rauc";
    std::uint64_t min_free_mb = 64;
    std::int64_t tail_rows = 1000;
  };
  auto o = std::make_shared<Options>();
  auto* h = app.add_subcommand(
      "health", "Check devices, journal, storage and upstream: exit 0 healthy, 1 not");
  h->add_option("--config", o->config, "gated config file")->required()->check(CLI::ExistingFile);
  h->add_flag("--json", o->json, "JSON output");
  h->add_flag("--require-upstream", o->require_upstream,
              "An unreachable upstream fails the check (default: reported, not required)");
  h->add_flag("--rauc", o->rauc,
              "Tell RAUC the verdict: 'rauc status mark-good' when healthy, 'mark-bad' if not");
  h->add_option("--rauc-command", o->rauc_command, "The rauc executable (default: rauc in PATH)");
  h->add_option("--min-free-mb", o->min_free_mb, "Free space the state dir needs (MiB)")
      ->check(CLI::Range(0, 1 << 30));
  h->add_option("--journal-tail", o->tail_rows, "Newest journal rows whose chain is verified")
      ->check(CLI::Range(1, 100'000'000));
  h->callback([o, &exit] {
    auto config = gk::load_config(o->config);
    if (!config) return void(exit.code = report_fault(config.error(), o->json));
    std::vector<Check> checks;
    {
      // Closed again before RAUC is called: the board's devices are gated's.
      auto board = gk::open_board(*config, std::nullopt);
      if (!board)
        checks.push_back({"board", "failed", gk::describe(board.error())});
      else {
        for (const auto& p : probe_board(*board)) checks.push_back(from_probe(p));
        checks.push_back(calibration_check(*board, config->thermometer.kind));
      }
    }
    checks.push_back(check_journal(config->state_dir, o->tail_rows));
    checks.push_back(check_storage(config->state_dir, o->min_free_mb));
    checks.push_back(check_upstream(config->sync, o->require_upstream));

    bool healthy = true;
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : checks) {
      healthy = healthy && c.status != "failed";
      j.push_back({{"check", c.name}, {"status", c.status}, {"detail", c.detail}});
      if (!o->json) std::cout << c.name << "\t" << c.status << "\t" << c.detail << "\n";
    }
    nlohmann::json out{{"board", config->board}, {"healthy", healthy}, {"checks", j}};
    bool rauc_ok = true;
    if (o->rauc) {
      const RaucOutcome r = run_rauc(o->rauc_command, healthy ? "mark-good" : "mark-bad");
      rauc_ok = r.ok;
      out["rauc"] = {{"command", r.command}, {"ok", r.ok}, {"output", r.output}};
      if (!o->json)
        std::cout << "rauc\t" << (r.ok ? "ok" : "failed") << "\t" << r.command
                  << (r.output.empty() ? "" : ": " + r.output) << "\n";
      if (!r.ok) std::cerr << "gatectl: rauc " << r.command << " failed: " << r.output << "\n";
    }
    if (o->json) print_json(out);
    if (!o->json) std::cout << (healthy ? "healthy" : "unhealthy") << "\n";
    // A slot that could not be marked good is not kept: the caller treats it as unhealthy.
    exit.code = healthy && rauc_ok ? 0 : 1;
  });
}

}  // namespace gatectl
