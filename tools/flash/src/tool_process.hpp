#pragma once
// Runs an external tool (mtools) with an argv, never through a shell: the target path comes
// from a technician's command line and must not be interpreted.
#include <chrono>
#include <string>
#include <vector>

#include "gk/flash/outcome.hpp"

namespace gk::flash {

struct ToolRun {
  int exit_status = -1;  // -1: killed by a signal or the deadline
  std::string out;       // stdout, up to the limit
  std::string err;       // stderr, up to 64 KiB
};

// `extra_env` entries ("NAME=value") are added to the inherited environment.
Outcome<ToolRun> run_tool(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env, std::size_t max_out,
                          std::chrono::milliseconds deadline);

}  // namespace gk::flash
