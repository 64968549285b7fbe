// The primary/standby pair of `estalogic run` processes the role end-to-end tests share
// (K-61, K-62): free loopback ports, one lock file (the witness) and one decisions file
// (the sink, fenced by epoch), and readers of the sink and of each node's status.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include "run_harness.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {

using SteadyClock = std::chrono::steady_clock;

inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

inline std::string loopback(int port) {
    return "127.0.0.1:" + std::to_string(port);
}

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto until = SteadyClock::now() + limit;
    while (SteadyClock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
}

inline std::uint64_t count_lines(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return static_cast<std::uint64_t>(
        std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

// The epoch the sink's fence file announces (0 when none).
inline std::uint64_t fence_epoch(const fs::path& sink) {
    std::ifstream in(sink.string() + ".fence", std::ios::binary);
    unsigned char bytes[8] = {};
    if (!in.read(reinterpret_cast<char*>(bytes), 8)) return 0;
    std::uint64_t epoch = 0;
    for (int i = 7; i >= 0; --i)
        epoch = (epoch << 8) | bytes[i];
    return epoch;
}

// The role fields of a node's status file ("" values when it has none yet).
inline JsonObject role_of(const fs::path& state) {
    std::string text = read_text(state / "data" / "status.json");
    try {
        JsonObject status = parse_flat_json(text);
        return parse_flat_json(status["redundancy"].text);
    } catch (const std::exception&) {
        return {};
    }
}

// The node's role fields once `ready` holds of them, or the last ones read after `limit`:
// the node rewrites its status file about once a second, so a state it just entered shows
// there up to a second later.
inline JsonObject role_when(const fs::path& state, const std::function<bool(JsonObject&)>& ready,
                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    JsonObject role;
    wait_until(
        [&] {
            role = role_of(state);
            return ready(role);
        },
        limit);
    return role;
}

inline std::uint64_t role_number(JsonObject& role, const std::string& key) {
    const std::string& text = role[key].text;
    return text.empty() ? ~std::uint64_t{0} : std::stoull(text);
}

struct SinkCheck {
    std::vector<std::uint64_t> sequences;
    std::vector<std::uint64_t> epochs;
};

// Each complete line's "epoch":E,"seq":S (the fenced sink appends them last); a line
// being written as the file is read is left out.
inline SinkCheck read_sink(const fs::path& path) {
    SinkCheck check;
    std::string text = read_text(path);
    text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        JsonObject decision = parse_flat_json(line);
        check.epochs.push_back(std::stoull(decision["epoch"].text));
        check.sequences.push_back(std::stoull(decision["seq"].text));
    }
    return check;
}

// A primary/standby pair of estalogic processes over one lock file and one decisions file.
class RolePair : public RunE2e {
  protected:
    struct Slot {
        int listen = 0;
        int peer = 0;
        fs::path state;
        pid_t pid = -1;
    };

    void SetUp() override {
        RunE2e::SetUp();
        m_sink = m_dir / "decisions.jsonl";
        m_slots[0] = Slot{free_port(), 0, m_dir / "a", -1};
        m_slots[1] = Slot{free_port(), 0, m_dir / "b", -1};
        m_slots[0].peer = m_slots[1].listen;
        m_slots[1].peer = m_slots[0].listen;
        m_witness = {"--lock-file", (m_dir / "lease").string()};
        m_manifest = example();
    }
    void TearDown() override {
        for (auto& slot : m_slots)
            stop(slot, SIGKILL);
        RunE2e::TearDown();
    }

    // Writes the first `lines` of a generated workload of `events` events (seed 7) to
    // `name` in the test's folder and returns the source arguments that feed them. A primary given
    // fewer lines than its standby stops there, so a test knows where a failover happens: the
    // standby decides the rest, however fast the machine.
    std::vector<std::string> events_file(const std::string& name, std::int64_t events,
                                         std::int64_t lines) {
        fs::path path = m_dir / name;
        std::ofstream out(path, std::ios::binary);
        workload::Options options;
        options.seed = 7;
        options.events = events;
        std::int64_t written = 0;
        workload::generate(options, [&](std::string_view line) {
            if (written++ < lines) out << line << '\n';
        });
        return {"--events", path.string()};
    }

    // Starts slot `i` as `role`, feeding `events` generated events.
    void start(int i, const std::string& role, std::int64_t events) {
        start(i, role, {"--generate", std::to_string(events), "--seed", "7"});
    }
    // Starts slot `i` as `role` with `source` (the event source's arguments).
    void start(int i, const std::string& role, const std::vector<std::string>& source) {
        Slot& slot = m_slots[i];
        std::vector<std::string> args = {ESTALOGIC,
                                         "run",
                                         m_manifest,
                                         "--role",
                                         role,
                                         "--listen",
                                         loopback(slot.listen),
                                         "--peer",
                                         loopback(slot.peer),
                                         "--state-dir",
                                         slot.state.string(),
                                         "--decisions",
                                         m_sink.string(),
                                         "--http-port",
                                         "0",
                                         "--quiet"};
        args.insert(args.end(), source.begin(), source.end());
        args.insert(args.end(), m_witness.begin(), m_witness.end());
        std::string log = (m_dir / ("node" + std::to_string(i) + ".log")).string();
        pid_t pid = ::fork();
        if (pid == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> argv;
            for (auto& arg : args)
                argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        slot.pid = pid;
    }
    void stop(Slot& slot, int signal) {
        if (slot.pid <= 0) return;
        ::kill(slot.pid, signal);
        ::waitpid(slot.pid, nullptr, 0);
        slot.pid = -1;
    }
    // Kills the leader of `epoch` with SIGKILL; waits for the other to lead at epoch + 1.
    // The takeover time in milliseconds, or -1.
    double fail_over(int leader, std::uint64_t epoch) {
        auto killed = SteadyClock::now();
        stop(m_slots[leader], SIGKILL);
        if (!wait_until([&] { return fence_epoch(m_sink) > epoch; }, std::chrono::seconds(10)))
            return -1;
        return std::chrono::duration<double, std::milli>(SteadyClock::now() - killed).count();
    }
    // Every event 1..events decided exactly once, in order.
    void expect_each_decided_once(std::int64_t events) {
        SinkCheck sink = read_sink(m_sink);
        ASSERT_EQ(sink.sequences.size(), static_cast<std::size_t>(events));
        for (std::size_t i = 0; i < sink.sequences.size(); ++i)
            ASSERT_EQ(sink.sequences[i], i + 1) << "line " << i;
        EXPECT_TRUE(std::is_sorted(sink.epochs.begin(), sink.epochs.end()));
    }

    fs::path m_sink;
    Slot m_slots[2];
    std::vector<std::string> m_witness;  // The witness flags both nodes get.
    std::string m_manifest;              // What both nodes run (the example's by default).
};

}  // namespace esta::test
