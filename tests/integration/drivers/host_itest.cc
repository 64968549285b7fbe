// D-2: a driver in its own OS process. A forked child confines itself with seccomp and
// serves the key-value driver over a Unix socket pair using the protocol's framed codec;
// the parent calls it through RemoteDriver. Killing the child makes calls UNAVAILABLE
// (retryable); a restarted child serves again after reconnect().
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/embedded/memory_kv.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/host/abi_codec.h"
#include "drivers/host/driver_host.h"
#include "drivers/host/remote_driver.h"

namespace esta::drivers {
namespace {

// Forks a driver process serving an embedded key-value store on one end of a socket pair;
// returns the other end.
int spawn_driver(pid_t& child) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) return -1;
    child = ::fork();
    if (child == 0) {
        ::close(ends[0]);
        protocol::SystemClock clock;
        KvDriver driver(std::make_unique<MemoryKv>(clock), {}, nullptr);
        if (!driver.start() || !host::confine_driver_process()) ::_exit(2);
        host::AbiValueCodec codec;
        host::ServeReport report = host::serve(ends[1], driver, codec);
        ::_exit(report.ended.code == Status::Unavailable ? 0 : 3);
    }
    ::close(ends[1]);
    return ends[0];
}

class OutOfProcess : public ::testing::Test {
  protected:
    void SetUp() override {
        int fd = spawn_driver(child);
        ASSERT_GE(fd, 0);
        remote = std::make_unique<host::RemoteDriver>(DriverKind::KeyValue, fd, codec, clock);
        ASSERT_TRUE(remote->start());
    }
    void TearDown() override {
        remote.reset();  // Closing the socket ends the child's serve loop.
        if (child > 0) ::waitpid(child, nullptr, 0);
    }
    Result<Value> call(u32 op, Value request) {
        CallContext context{scope, 1, clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "host-test"};
        return remote->call(op, request, context);
    }

    host::AbiValueCodec codec;
    protocol::SystemClock clock;
    pid_t child = -1;
    std::unique_ptr<host::RemoteDriver> remote;
    Scope scope{"kv", KvScope{"p:", static_cast<u32>(KvFamily::Strings | KvFamily::Counters), {}}};
};

TEST_F(OutOfProcess, D2_CallsCrossTheProcessBoundaryWithStatusesIntact) {
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"k", bytes_value("v")}));
    auto got = call(kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(*got, bytes_value("v"));
    auto missing = call(kv_op::kGet, ValueList{"absent"});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Status::NotFound);
    // The scope travels with the call and is enforced in the driver process.
    auto denied = call(kv_op::kHSet, ValueList{"h", "f", bytes_value("v")});
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::AccessDenied);
    EXPECT_STREQ(denied.error().context, "kv.family_denied");
}

TEST_F(OutOfProcess, D2_KilledDriverProcessIsRetryableAndARestartServesAgain) {
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{1}}));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    child = -1;
    auto lost = call(kv_op::kGet, ValueList{"n"});
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::Unavailable);
    EXPECT_EQ(remote->health().state, HealthState::Unhealthy);

    // The supervisor restarts it (the embedded store starts empty).
    int fd = spawn_driver(child);
    ASSERT_GE(fd, 0);
    remote->reconnect(fd);
    auto again = call(kv_op::kIncrBy, ValueList{"n", i64{1}});
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(*again, Value(i64{1}));
}

TEST(OutOfProcessStalled, D1_ADriverProcessThatStopsAnsweringIsTimeoutNotAHang) {
    // The "process" is the other end of a socket pair that reads nothing and answers
    // nothing, as a stuck driver would.
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
    host::AbiValueCodec codec;
    protocol::SystemClock clock;
    host::RemoteDriver remote(DriverKind::KeyValue, ends[0], codec, clock);
    Scope scope{"kv", KvScope{"p:", kAllKvFamilies, {}}};
    CallContext context{scope, 1, clock.now_ns() + 100 * kNanosPerMilli, Caller::Module, "stall"};
    auto stalled = remote.call(kv_op::kGet, ValueList{"k"}, context);
    ASSERT_FALSE(stalled);
    EXPECT_EQ(stalled.error().code, Status::Timeout);
    EXPECT_STREQ(stalled.error().context, "driver.stalled");
    // The stream is out of step now, so it is dropped: the supervisor restarts the process.
    EXPECT_EQ(remote.lifecycle(), Lifecycle::Failed);
    ::close(ends[1]);
}

TEST(OutOfProcessSql, D4_ReleasingABindingRollsBackItsTransactionInTheDriverProcess) {
    auto directory =
        std::filesystem::temp_directory_path() / ("esta_host_sql_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    std::vector<SqlStatement> statements{
        {"put", "INSERT INTO t (id) VALUES ($1)", {SqlType::Int}, {}},
        {"count", "SELECT count(*) FROM t", {}, {SqlType::Int}}};
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(ends[0]);
        SqlDriver driver(std::make_unique<SqliteSql>((directory / "db.sqlite").string(),
                                                     "CREATE TABLE t (id bigint)"),
                         statements, nullptr);
        if (!driver.start()) ::_exit(2);
        host::AbiValueCodec codec;
        host::ServeReport report = host::serve(ends[1], driver, codec);
        ::_exit(report.ended.code == Status::Unavailable ? 0 : 3);
    }
    ::close(ends[1]);
    host::AbiValueCodec codec;
    protocol::SystemClock clock;
    {
        host::RemoteDriver remote(DriverKind::Sql, ends[0], codec, clock);
        Scope scope{"db", SqlScope{{"put", "count"}}};
        auto call = [&](u32 op, Value request, u64 binding) {
            CallContext context{scope, binding, clock.now_ns() + 5'000 * kNanosPerMilli,
                                Caller::Module, "host-test"};
            return remote.call(op, request, context);
        };
        ASSERT_TRUE(call(sql_op::kBegin, ValueList{}, 7));
        ASSERT_TRUE(call(sql_op::kExec, ValueList{"put", ValueList{i64{1}}}, 7));
        EXPECT_EQ(call(sql_op::kBegin, ValueList{}, 7).error().code, Status::InvalidArgs);
        remote.release(7);
        EXPECT_EQ(remote.lifecycle(), Lifecycle::Ready);
        // Rolled back in the driver process: nothing was inserted, and 7 may begin again.
        auto count = call(sql_op::kExec, ValueList{"count", ValueList{}}, 8);
        ASSERT_TRUE(count) << count.error().to_string();
        EXPECT_EQ(*map_find(*count, "rows"), Value(ValueList{Value(ValueList{i64{0}})}));
        EXPECT_TRUE(call(sql_op::kBegin, ValueList{}, 7));
    }
    ::waitpid(child, nullptr, 0);
    std::filesystem::remove_all(directory);
}

TEST_F(OutOfProcess, D2_DriverProcessCannotExecPrograms) {
    // A confined child: exec is not on the allow list.
    pid_t probe = ::fork();
    if (probe == 0) {
        if (!host::confine_driver_process()) ::_exit(2);
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        ::_exit(errno == EPERM ? 0 : 1);
    }
    int status = 0;
    ::waitpid(probe, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace esta::drivers
