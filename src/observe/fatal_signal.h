// The flight recorder dumped when the process itself dies of a fatal signal (REQUIREMENTS
// O-3): SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT write the crash ring's lines and one
// fatal line naming the signal to DIR/FILE, then the signal is raised again with its default
// action (so the exit status and a core dump are what they would have been).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "observe/crash_ring.h"

namespace esta::observe {

class FatalSignalDump {
  public:
    // Installs the handlers. `ring` outlives the result. The directory is opened now (the
    // handler may not allocate or resolve paths); the file is created only by a crash. A
    // later install takes over until it ends. IoError when the directory cannot be opened,
    // Invalid for a file name with '/' or longer than 200 bytes.
    static Result<std::unique_ptr<FatalSignalDump>> install(const CrashRing& ring,
                                                            const std::string& dir,
                                                            std::string_view file);
    // Puts back the handlers (and dump target) that were there before.
    ~FatalSignalDump();
    FatalSignalDump(const FatalSignalDump&) = delete;
    FatalSignalDump& operator=(const FatalSignalDump&) = delete;

    struct Target;

  private:
    explicit FatalSignalDump(std::unique_ptr<Target> target);
    std::unique_ptr<Target> m_target;
};

// The line a dump ends with, in the log's JSON-lines form (severity fatal, category kernel,
// field signal), written into `out` without allocating; returns its length with the '\n'.
// `out` holds at least 256 bytes.
std::size_t format_fatal_line(char* out, int signal, i64 timestamp_ns) noexcept;

}  // namespace esta::observe
