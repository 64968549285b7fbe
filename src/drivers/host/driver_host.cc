#include "drivers/host/driver_host.h"

#include <seccomp.h>

#include <memory>

#include "protocol/codec.h"

namespace esta::drivers::host {

ServeReport serve(int fd, Driver& driver, const ValueCodec& codec) {
    ServeReport report;
    for (;;) {
        auto envelope = read_envelope(fd);
        if (!envelope) {
            report.ended = envelope.error();
            return report;
        }
        Result<Value> reply = [&]() -> Result<Value> {
            if (is_release(*envelope)) {
                driver.release(ESTA_TRY(parse_release(*envelope, codec)));
                return Value();
            }
            WireCall call = ESTA_TRY(parse_call(*envelope, codec));
            CallContext context{call.scope, call.binding, call.deadline, call.caller, call.process};
            return driver.call(call.op, call.request, context);
        }();
        ++report.calls;
        auto written =
            write_frame(fd, protocol::encode_envelope(reply_envelope(*envelope, reply, codec)));
        if (!written) {
            report.ended = written.error();
            return report;
        }
    }
}

namespace {

struct SeccompRelease {
    void operator()(void* context) const { seccomp_release(static_cast<scmp_filter_ctx>(context)); }
};

}  // namespace

Result<void> confine_driver_process() {
    // Anything not listed fails with EPERM rather than killing the process, so a client
    // library probing an optional call degrades instead of crashing the driver.
    std::unique_ptr<void, SeccompRelease> filter(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
    if (!filter) return Err(Status::Internal, "seccomp.init");
    static constexpr int kAllowed[] = {
        SCMP_SYS(read),
        SCMP_SYS(write),
        SCMP_SYS(readv),
        SCMP_SYS(writev),
        SCMP_SYS(close),
        SCMP_SYS(sendto),
        SCMP_SYS(recvfrom),
        SCMP_SYS(sendmsg),
        SCMP_SYS(recvmsg),
        SCMP_SYS(poll),
        SCMP_SYS(ppoll),
        SCMP_SYS(epoll_wait),
        SCMP_SYS(epoll_pwait),
        SCMP_SYS(epoll_ctl),
        SCMP_SYS(epoll_create1),
        SCMP_SYS(select),
        SCMP_SYS(pselect6),
        SCMP_SYS(socket),
        SCMP_SYS(connect),
        SCMP_SYS(getsockopt),
        SCMP_SYS(setsockopt),
        SCMP_SYS(getsockname),
        SCMP_SYS(getpeername),
        SCMP_SYS(shutdown),
        SCMP_SYS(fcntl),
        SCMP_SYS(ioctl),
        SCMP_SYS(pipe2),
        SCMP_SYS(eventfd2),
        SCMP_SYS(mmap),
        SCMP_SYS(munmap),
        SCMP_SYS(mprotect),
        SCMP_SYS(madvise),
        SCMP_SYS(brk),
        SCMP_SYS(mremap),
        SCMP_SYS(futex),
        SCMP_SYS(clock_gettime),
        SCMP_SYS(clock_nanosleep),
        SCMP_SYS(nanosleep),
        SCMP_SYS(gettimeofday),
        SCMP_SYS(getpid),
        SCMP_SYS(gettid),
        SCMP_SYS(getrandom),
        SCMP_SYS(rt_sigaction),
        SCMP_SYS(rt_sigprocmask),
        SCMP_SYS(rt_sigreturn),
        SCMP_SYS(sched_yield),
        SCMP_SYS(sched_getaffinity),
        SCMP_SYS(clone),
        SCMP_SYS(clone3),
        SCMP_SYS(set_robust_list),
        SCMP_SYS(rseq),
        SCMP_SYS(exit),
        SCMP_SYS(exit_group),
        SCMP_SYS(tgkill),
        SCMP_SYS(prctl),
        SCMP_SYS(lseek),
        SCMP_SYS(pread64),
        SCMP_SYS(pwrite64),
        SCMP_SYS(fsync),
        SCMP_SYS(fdatasync),
        SCMP_SYS(fstat),
        SCMP_SYS(newfstatat),
        SCMP_SYS(openat),
        SCMP_SYS(statx),
        SCMP_SYS(getdents64),
        SCMP_SYS(unlink),
        SCMP_SYS(unlinkat),
        SCMP_SYS(rename),
        SCMP_SYS(ftruncate),
        SCMP_SYS(fallocate),
        SCMP_SYS(flock),
        SCMP_SYS(uname),
        SCMP_SYS(sysinfo),
        SCMP_SYS(getuid),
        SCMP_SYS(geteuid),
    };
    for (int call : kAllowed) {
        if (seccomp_rule_add(static_cast<scmp_filter_ctx>(filter.get()), SCMP_ACT_ALLOW, call, 0) !=
            0) {
            return Err(Status::Internal, "seccomp.rule");
        }
    }
    if (seccomp_load(static_cast<scmp_filter_ctx>(filter.get())) != 0) {
        return Err(Status::Internal, "seccomp.load");
    }
    return Ok();
}

}  // namespace esta::drivers::host
