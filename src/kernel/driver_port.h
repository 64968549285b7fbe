// A driver handle's object (REQUIREMENTS K-20, ABI.md "Driver calls"): a keyspace, topic,
// statement or database that `call` reaches through a capability. The object only routes:
// the op's required right comes from the driver, the checks from the handle table, and
// the work from a KernelDriver, an interface of the kernel's own that src/drivers backs.
#pragma once

#include <string>

#include "base/result.h"
#include "kernel/abi_value.h"
#include "kernel/driver_calls.h"
#include "kernel/ids.h"
#include "kernel/object.h"
#include "kernel/rights.h"

namespace esta::kernel {

class KernelDriver {
  public:
    virtual ~KernelDriver() = default;
    // The right `op` needs on the handle (READ for reads, WRITE for writes, EXECUTE for
    // SQL); INVALID_ARGS for an op this kind does not have.
    virtual Result<Rights> op_rights(i32 op) const = 0;
    // Runs `op` for `caller`. TIMEOUT when `deadline` (kernel time) passes, UNAVAILABLE
    // when the service is down, DRIVER_ERROR when it refused.
    virtual Result<abi::AbiValue> call(ProcessId caller, i32 op, const abi::AbiValue& request,
                                       Nanos deadline) = 0;
    // Starts `op` for `caller` and answers through `reply`, exactly once, inline or later
    // from another thread (driver_calls.h). Called by the syscall under the kernel lock, so
    // whatever reads kernel state (the caller's time) must be read here, not later. The
    // default runs call() inline: a driver without workers of its own.
    virtual void start(ProcessId caller, i32 op, const abi::AbiValue& request, Nanos deadline,
                       DriverReply reply) {
        reply(call(caller, op, request, deadline));
    }
    // Forgets what `caller` left bound to this driver (an open transaction is rolled back).
    // The kernel calls it when the process ends, for every driver the process called.
    virtual void release(ProcessId caller) { (void)caller; }
};

// True for the object kinds a driver serves (the ones `call` dispatches to a driver).
bool is_driver_kind(ObjectType type);

class DriverPort final : public KernelObject {
  public:
    // `type` must be a driver kind; `driver` is borrowed and outlives every handle.
    static Result<Ref<DriverPort>> create(ObjectId id, ObjectType type, std::string name,
                                          KernelDriver& driver);

    // The port behind `object`, or null when it is not one.
    static DriverPort* from(KernelObject& object);

    KernelDriver& driver() const { return m_driver; }

    // Use create(); public only for make_ref.
    DriverPort(ObjectId id, ObjectType type, std::string name, KernelDriver& driver)
        : KernelObject(id, Resource{type, std::move(name), {}}), m_driver(driver) {}

  private:
    KernelDriver& m_driver;
};

}  // namespace esta::kernel
