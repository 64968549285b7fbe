// The driver contract (REQUIREMENTS D-1): what every driver (Kafka, PostgreSQL, Redis and
// their embedded stand-ins) offers the kernel. A driver handle's `call` (ABI.md "Driver
// calls") lands in Driver::call with the op code, the decoded request value, the capability
// scope of the handle and the deadline. Replies are values the kernel encodes for the guest.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "drivers/scope.h"
#include "drivers/value.h"
#include "protocol/clock.h"

namespace esta::drivers {

using protocol::kNanosPerMilli;
using protocol::Nanos;

enum class DriverKind : u8 { KeyValue, Sql, Topic };
std::string_view driver_kind_name(DriverKind kind);

// D-1 lifecycle: Disconnected -> Connecting -> Ready -> Disconnecting -> Disconnected, and
// Failed from any state that can lose its service.
enum class Lifecycle : u8 { Disconnected, Connecting, Ready, Disconnecting, Failed };

// D-1 health as the supervisor and /readyz see it.
enum class HealthState : u8 {
    Healthy,
    Connecting,
    Degraded,  // More than kDegradedAfterAttempts connect attempts, or the circuit half-open.
    Busy,
    Stopping,
    Stopped,
    Unhealthy,  // `reason` says why (the circuit is open, the service refused us).
};
struct Health {
    HealthState state = HealthState::Stopped;
    std::string reason;
};
inline constexpr u32 kDegradedAfterAttempts = 3;
std::string_view health_state_name(HealthState state);

// Op codes (ABI.md "Driver calls"). Ops >= kKernelOpBase are issued by the kernel itself
// (consuming records on a module's behalf), never by a guest: the kernel's ABI table does
// not list them, and CallContext::caller says who is asking.
namespace kv_op {
inline constexpr u32 kGet = 1, kSet = 2, kDel = 3, kIncrBy = 4, kHGet = 5, kHSet = 6, kHGetAll = 7,
                     kExpire = 8, kMGet = 9, kEval = 10;
// Transactions bound to the handle: commands between MULTI and EXEC are checked at once,
// queued, and run atomically at EXEC; EXEC or DISCARD without MULTI is INVALID_ARGS.
inline constexpr u32 kMulti = 11, kExec = 12, kDiscard = 13;
// A pipeline: a list of [op, request] pairs sent in one round trip, replies in order.
inline constexpr u32 kPipeline = 14;
}  // namespace kv_op
namespace sql_op {
inline constexpr u32 kExec = 1, kBegin = 2, kCommit = 3, kRollback = 4;
}
namespace topic_op {
inline constexpr u32 kProduce = 1;
inline constexpr u32 kKernelOpBase = 0x100;
inline constexpr u32 kPoll = 0x101, kCommit = 0x102, kSeek = 0x103;
}  // namespace topic_op

enum class Caller : u8 { Module, Kernel };

// What the kernel hands the driver with each call. Borrowed for the call's duration.
struct CallContext {
    const Scope& scope;
    // The handle's object id: transactions (SQL BEGIN, KV MULTI) are bound to it.
    u64 binding = 0;
    // Absolute deadline on the driver's injected clock.
    protocol::Nanos deadline = 0;
    Caller caller = Caller::Module;
    std::string_view process;  // For audit records: who asked.
};

class Driver {
  public:
    virtual ~Driver() = default;

    virtual DriverKind kind() const = 0;
    // Connects (or opens files). Errors: Unavailable when the service cannot be reached.
    virtual Result<void> start() = 0;
    // Releases connections; open transactions are rolled back. Idempotent.
    virtual void stop() = 0;
    virtual Health health() const = 0;
    virtual Lifecycle lifecycle() const = 0;

    // Performs `op` on behalf of the handle described by `context`. Every scope denial is
    // AccessDenied (or NotFound for a name the application never declared) and an audit
    // record. Unavailable means "not performed, safe to retry"; Timeout means the deadline
    // passed (the outcome may be unknown); DriverError means the service refused it.
    virtual Result<Value> call(u32 op, const Value& request, const CallContext& context) = 0;

    // Forgets state bound to a handle (an open transaction is rolled back): the kernel calls
    // this when the last handle to the binding is dropped.
    virtual void release(u64 binding) { (void)binding; }

    // The connections the driver holds now (K-42: at most 100 per driver): sockets to its
    // service, database connections, client handles; 0 for an in-process store.
    virtual u64 connections() const { return 0; }
};

}  // namespace esta::drivers
