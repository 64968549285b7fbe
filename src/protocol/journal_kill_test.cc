// P-8, process side: a child process appends to a real journal and reports every
// acknowledged sequence through a pipe; the parent kills it with SIGKILL at an arbitrary
// moment, recovers the journal, and checks that every acknowledged record is there once,
// intact. The loop runs ESTA_KILL_LOOPS times (default 5 so unit runs stay short; the
// slow suite sets 50 or more).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "protocol/journal.h"
#include "protocol/prng.h"

namespace esta::protocol {
namespace {

const StreamId kStream{3};

std::vector<u8> data_for(u64 sequence) {
    std::vector<u8> data(static_cast<std::size_t>(sequence % 200 + 1));
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<u8>(sequence + i);
    return data;
}

[[noreturn]] void child_appends(const std::string& directory, int report_fd) {
    PosixFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Always;
    options.max_segment_bytes = 4096;  // Kills also land during rollover.
    auto journal = Journal::open(fs, directory, clock, options);
    if (!journal) _exit(3);
    for (;;) {
        const u64 next = (*journal)->last_sequence() + 1;
        auto sequence = (*journal)->append(kStream, RecordType::Input, 0, ByteSpan(data_for(next)));
        if (!sequence || *sequence != next) _exit(4);
        // Acknowledged: tell the parent.
        if (::write(report_fd, &next, sizeof next) != sizeof next) _exit(5);
    }
}

u64 loops_from_environment() {
    const char* value = std::getenv("ESTA_KILL_LOOPS");
    return value != nullptr ? std::strtoull(value, nullptr, 10) : 5;
}

TEST(JournalKill, P8_KillNineLosesNothingAcknowledged) {
    const auto directory =
        std::filesystem::temp_directory_path() / ("esta-kill-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    DeterministicRng rng(2026);
    u64 acknowledged = 0;
    const u64 loops = loops_from_environment();
    for (u64 loop = 0; loop < loops; ++loop) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(fds[0]);
            child_appends(directory.string(), fds[1]);
        }
        ::close(fds[1]);
        // Let it acknowledge a few records, then kill it wherever it is.
        const u64 wanted = 1 + rng.next_below(6);
        for (u64 seen = 0; seen < wanted;) {
            pollfd ready{fds[0], POLLIN, 0};
            if (::poll(&ready, 1, 10'000) <= 0) break;
            u64 sequence = 0;
            if (::read(fds[0], &sequence, sizeof sequence) != sizeof sequence) break;
            acknowledged = std::max(acknowledged, sequence);
            ++seen;
        }
        ::kill(child, SIGKILL);
        // Acks already in the pipe count too: the child made them durable before writing.
        u64 sequence = 0;
        while (::read(fds[0], &sequence, sizeof sequence) == sizeof sequence) {
            acknowledged = std::max(acknowledged, sequence);
        }
        ::close(fds[0]);
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);

        PosixFileSystem fs;
        ManualClock clock;
        auto journal = Journal::open(fs, directory.string(), clock);
        ASSERT_TRUE(journal) << "loop " << loop << ": " << journal.error().to_string();
        ASSERT_GE((*journal)->last_sequence(), acknowledged) << "loop " << loop;
        auto records = (*journal)->read_stream(kStream);
        ASSERT_TRUE(records);
        ASSERT_EQ(records->size(), (*journal)->last_sequence());
        for (const auto& record : *records) {
            ASSERT_EQ(record.data, data_for(record.sequence)) << "sequence " << record.sequence;
        }
    }
    EXPECT_GT(acknowledged, 0u);
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace esta::protocol
