// A small kernel for the guest tests: the capability tree, the syscall layer and the
// scheduler of the existing kernel API, wired as ping_pong_test.cc does, plus the modules
// built from modules/*.c and a "report" endpoint that guests send their findings to.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "guest_modules.h"
#include "kernel/abi_value.h"
#include "kernel/endpoint.h"
#include "kernel/process.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/test_support.h"
#include "protocol/clock.h"

namespace esta::kernel::testing {

class GuestKernel {
  public:
    // The process id of the report endpoint's (absent) receiver.
    static constexpr ProcessId kReportReader{1000};

    GuestKernel();

    // Spawns modules/<name>.c as process `pid` (Created; add it with start()). The request's
    // module is filled in; everything else is the caller's.
    Result<Ref<Process>> spawn(const std::string& name, u32 pid, SpawnRequest request = {});
    // spawn() + grant "report" + add to the scheduler; fails the test on error.
    Ref<Process> start(const std::string& name, u32 pid, SpawnRequest request = {});
    // Grants `from` a handle named `name` to `to`'s endpoint.
    void connect(Process& from, const std::string& name, Process& to, Rights rights, u32 badge = 0);

    // Runs slices until `max_slices` ran or nothing was ready for kMaxIdleMs, advancing the
    // clock 1 ms per step and waking receivers whose deadline passed. Returns the slices run.
    static constexpr u32 kMaxIdleMs = 100;
    u32 run(u32 max_slices = 1000);

    // Every report received so far, in arrival order (decoded maps).
    std::vector<abi::AbiValue> take_reports();
    // The one report sent by the process with badge `pid`; a null value when it sent none.
    abi::AbiValue report_of(u32 pid);
    // An i64 entry of a report, or INT64_MIN when it is missing or not an i64.
    static i64 entry(const abi::AbiValue& report, const std::string& key);

    RecordingAudit audit;
    CapTree tree{audit};
    ObjectIdAllocator ids;
    protocol::ManualClock clock{1'000'000};
    Scheduler scheduler;
    Syscalls syscalls{tree, clock, scheduler};
    Ref<Endpoint> report_endpoint;

  private:
    std::vector<std::pair<u32, abi::AbiValue>> m_reports;  // (sender badge, report)
};

}  // namespace esta::kernel::testing
