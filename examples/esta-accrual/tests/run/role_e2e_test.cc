// `estalogic run --role primary|standby` end to end (K-61): two estalogic processes on
// loopback share a lock file (the witness) and the decisions file (the sink, fenced by
// epoch). The primary is killed with SIGKILL in mid-stream: the standby takes over (the time
// is printed), every decision written before the kill stays, every event is decided once,
// and the old primary, restarted, rejoins as a standby and re-executes without a divergence.
// The split-brain test blocks the replication link (a proxy the test holds) while both
// nodes reach the witness. The kill loop repeats the failover ESTA_ROLE_KILLS times (2 by
// default; 20 under label slow).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "replication/fenced_file.h"
#include "role_pair.h"
#include "run_harness.h"
#include "services.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {
namespace {

TEST_F(RolePair, K61_KillNineThePrimaryTheStandbyTakesOverEveryEventDecidedOnce) {
    constexpr std::int64_t kEvents = 4000;
    constexpr std::int64_t kBeforeTheKill = 1000;  // The primary's share; the standby's: all.
    auto every_event = events_file("events.jsonl", kEvents, kEvents);
    start(0, "primary", events_file("primary.jsonl", kEvents, kBeforeTheKill));
    ASSERT_TRUE(wait_until([&] { return fence_epoch(m_sink) == 1; }, std::chrono::seconds(10)));
    start(1, "standby", every_event);
    ASSERT_TRUE(
        wait_until([&] { return count_lines(m_sink) >= kBeforeTheKill; }, std::chrono::seconds(30)))
        << read_text(m_dir / "node0.log");

    double takeover = fail_over(0, 1);
    auto before = read_lines(m_sink);  // Final for epoch 1: its writer is dead.
    ASSERT_GT(takeover, 0) << "no takeover; " << read_text(m_dir / "node1.log");
    std::printf("takeover after kill -9: %.0f ms (%zu decisions written before)\n", takeover,
                before.size());
    EXPECT_LT(takeover, 5000.0);  // K-61: RTO 5000 ms.

    start(0, "primary", every_event);  // The old primary: the lease is taken, so a standby.
    ASSERT_TRUE(
        wait_until([&] { return count_lines(m_sink) >= kEvents; }, std::chrono::seconds(30)))
        << read_text(m_dir / "node1.log");
    ASSERT_TRUE(wait_until(
        [&] { return role_of(m_slots[0].state)["last_sequence"].text == std::to_string(kEvents); },
        std::chrono::seconds(30)));

    // Nothing written before the kill was lost or rewritten; every event decided once.
    auto after = read_lines(m_sink);
    ASSERT_GE(after.size(), before.size());
    for (std::size_t i = 0; i < before.size(); ++i)
        ASSERT_EQ(after[i], before[i]) << "line " << i;
    expect_each_decided_once(kEvents);
    EXPECT_EQ(read_sink(m_sink).epochs.back(), 2u);

    // Roles as `estalogic status` reports them.
    JsonObject rejoined = role_of(m_slots[0].state);
    EXPECT_EQ(rejoined["role"].text, "standby");
    EXPECT_EQ(rejoined["epoch"].text, "2");
    EXPECT_EQ(rejoined["divergences"].text, "0");
    EXPECT_EQ(rejoined["written"].text, "0");
    Outcome status = estalogic("status --state-dir " + m_slots[1].state.string());
    EXPECT_EQ(status.exit, 0) << status.err;
    EXPECT_NE(status.out.find("role primary, epoch 2"), std::string::npos) << status.out;
}

// Forwards one TCP connection at a time from `port` to `target` until blocked: then it
// reads nothing, so nothing arrives either way while both ends stay connected.
class Proxy {
  public:
    Proxy(int port, int target) : m_target(target) {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(m_listener, 4);
        m_thread = std::thread([this] { loop(); });
    }
    ~Proxy() {
        m_done = true;
        m_thread.join();
        ::close(m_listener);
    }
    void block(bool blocked) { m_blocked = blocked; }

  private:
    void loop() {
        int ends[2] = {-1, -1};
        while (!m_done) {
            pollfd fds[3] = {{m_listener, POLLIN, 0}, {ends[0], POLLIN, 0}, {ends[1], POLLIN, 0}};
            int count = m_blocked ? 1 : 3;
            if (::poll(fds, static_cast<nfds_t>(count), 10) <= 0) continue;
            if (fds[0].revents & POLLIN) {
                int client = ::accept(m_listener, nullptr, nullptr);
                int server = ::socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in address{};
                address.sin_family = AF_INET;
                address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                address.sin_port = htons(static_cast<std::uint16_t>(m_target));
                if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                    ::close(client);
                    ::close(server);
                    continue;
                }
                for (int& end : ends)
                    if (end >= 0) ::close(end);
                ends[0] = client;
                ends[1] = server;
            }
            for (int side = 0; side < 2 && count == 3; ++side) {
                if (!(fds[1 + side].revents & (POLLIN | POLLHUP))) continue;
                char buffer[65536];
                ssize_t n = ::read(ends[side], buffer, sizeof buffer);
                if (n <= 0) {
                    ::close(ends[0]);
                    ::close(ends[1]);
                    ends[0] = ends[1] = -1;
                    break;
                }
                for (ssize_t sent = 0; sent < n;) {
                    ssize_t w =
                        ::write(ends[1 - side], buffer + sent, static_cast<size_t>(n - sent));
                    if (w <= 0) break;
                    sent += w;
                }
            }
        }
        for (int& end : ends)
            if (end >= 0) ::close(end);
    }

    int m_target;
    int m_listener = -1;
    std::atomic<bool> m_done{false};
    std::atomic<bool> m_blocked{false};
    std::thread m_thread;
};

TEST_F(RolePair, K61_SplitBrainBlockedLinkOneLeaseHolderAndTheDeposedWriterIsRefused) {
    constexpr std::int64_t kEvents = 200000;  // More than the test lasts: a stream.
    int proxy_port = free_port();
    Proxy proxy(proxy_port, m_slots[0].listen);
    m_slots[1].peer = proxy_port;  // The standby reaches the primary only through it.
    start(0, "primary", kEvents);
    ASSERT_TRUE(wait_until([&] { return fence_epoch(m_sink) == 1; }, std::chrono::seconds(10)));
    start(1, "standby", kEvents);
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) >= 300; }, std::chrono::seconds(30)));
    // A writer of epoch 1 still open, as a primary that will be deposed holds one.
    auto deposed = replication::FencedFile::open(m_sink.string());
    ASSERT_TRUE(deposed && (*deposed)->fence(1));

    // The link blocked for three timeouts: both nodes still reach the lock file.
    proxy.block(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::uint64_t stalled = count_lines(m_sink);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    EXPECT_EQ(fence_epoch(m_sink), 1u) << "a second leader announced itself";
    EXPECT_EQ(count_lines(m_sink), stalled) << "a decision landed without the standby's ack";
    ASSERT_TRUE(wait_until([&] { return role_of(m_slots[1].state)["role"].text == "standby"; },
                           std::chrono::seconds(3)));
    EXPECT_EQ(role_of(m_slots[0].state)["role"].text, "primary");
    EXPECT_EQ(role_of(m_slots[1].state)["lease_epoch"].text, "1");

    // Unblocked, the stream goes on under the same leader.
    proxy.block(false);
    ASSERT_TRUE(
        wait_until([&] { return count_lines(m_sink) > stalled + 200; }, std::chrono::seconds(10)));
    EXPECT_EQ(fence_epoch(m_sink), 1u);

    // The primary dies; the standby leads at epoch 2, and epoch 1's writes are refused.
    ASSERT_GT(fail_over(0, 1), 0);
    std::vector<replication::FencedLine> late{{kEvents + 1, "{}"}};
    auto refused = (*deposed)->append(late);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Revoked);
    SinkCheck sink = read_sink(m_sink);
    EXPECT_EQ(std::count(sink.sequences.begin(), sink.sequences.end(), kEvents + 1), 0);
}

TEST_F(RolePair, K61_TheIngressAnswersOnlyOnceTheStandbyAcknowledged) {
    std::vector<std::string> events;
    workload::Options workload;
    workload.seed = 3;
    workload.events = 8;
    workload.employers = 2;
    workload::generate(workload, [&](std::string_view line) { events.emplace_back(line); });
    int proxy_port = free_port();
    Proxy proxy(proxy_port, m_slots[0].listen);
    m_slots[1].peer = proxy_port;
    int ingress[2] = {free_port(), free_port()};
    auto serve = [&](int i) {
        return std::vector<std::string>{"--serve", "--ingress-port", std::to_string(ingress[i]),
                                        "--deadline-ms", "1000"};
    };
    start(0, "primary", serve(0));
    ASSERT_TRUE(wait_until([&] { return fence_epoch(m_sink) == 1; }, std::chrono::seconds(10)));
    start(1, "standby", serve(1));
    ASSERT_TRUE(wait_until([&] { return role_of(m_slots[0].state)["connected"].text == "1"; },
                           std::chrono::seconds(10)));

    HttpAnswer first = post(ingress[0], "/v1/invoke/accrual", events[0]);
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_NE(first.body.find("\"kind\""), std::string::npos) << first.body;
    EXPECT_EQ(count_lines(m_sink), 1u);
    // The standby sends the client to the primary.
    EXPECT_EQ(post(ingress[1], "/v1/invoke/accrual", events[1]).status, 503);

    // Without the standby's acknowledgement there is no answer, and nothing lands.
    proxy.block(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    HttpAnswer blocked = post(ingress[0], "/v1/invoke/accrual", events[1]);
    EXPECT_EQ(blocked.status, 504) << blocked.body;
    EXPECT_EQ(count_lines(m_sink), 1u);
    proxy.block(false);
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) == 2; }, std::chrono::seconds(5)));
    HttpAnswer after = post(ingress[0], "/v1/invoke/accrual", events[2]);
    EXPECT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(count_lines(m_sink), 3u);
    expect_each_decided_once(3);
}

TEST_F(RolePair, K61_APostgresWitnessHandsTheLeaseOverWhenThePrimaryDies) {
    drivers::testing::PostgresDatabase db;
    ESTA_NEED_SERVICE(db.available(), "PostgreSQL");
    m_witness = {"--witness-pg", db.conninfo()};
    constexpr std::int64_t kEvents = 2000;
    start(0, "primary", kEvents);
    ASSERT_TRUE(wait_until([&] { return fence_epoch(m_sink) == 1; }, std::chrono::seconds(10)))
        << read_text(m_dir / "node0.log");
    start(1, "standby", kEvents);
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) >= 500; }, std::chrono::seconds(30)));
    EXPECT_EQ(db.query("SELECT epoch FROM esta_leases"), "1");
    double takeover = fail_over(0, 1);  // The dead node's session, and its lock, end with it.
    ASSERT_GT(takeover, 0) << read_text(m_dir / "node1.log");
    std::printf("takeover with the PostgreSQL witness: %.0f ms\n", takeover);
    EXPECT_EQ(db.query("SELECT epoch FROM esta_leases"), "2");
    EXPECT_NE(db.query("SELECT holder FROM esta_leases").find(std::to_string(m_slots[1].listen)),
              std::string::npos);
    start(0, "primary", kEvents);  // Finds epoch 2 granted: rejoins as the standby.
    ASSERT_TRUE(
        wait_until([&] { return count_lines(m_sink) >= kEvents; }, std::chrono::seconds(30)));
    expect_each_decided_once(kEvents);
    EXPECT_EQ(db.query("SELECT epoch FROM esta_leases"), "2");
}

TEST_F(RolePair, K61_KillLoopEveryFailoverKeepsEveryDecisionOnce) {
    const char* kills_text = std::getenv("ESTA_ROLE_KILLS");
    int kills = kills_text != nullptr ? std::atoi(kills_text) : 2;
    const std::int64_t events = 1500 + 700 * static_cast<std::int64_t>(kills);
    start(0, "primary", events);
    ASSERT_TRUE(wait_until([&] { return fence_epoch(m_sink) == 1; }, std::chrono::seconds(10)));
    start(1, "standby", events);
    std::vector<double> takeovers;
    int leader = 0;
    for (int life = 0; life < kills; ++life) {
        std::uint64_t from = count_lines(m_sink);
        ASSERT_TRUE(
            wait_until([&] { return count_lines(m_sink) >= from + 300; }, std::chrono::seconds(60)))
            << "no progress in life " << life;
        double takeover = fail_over(leader, static_cast<std::uint64_t>(life) + 1);
        ASSERT_GT(takeover, 0) << "no takeover in life " << life;
        takeovers.push_back(takeover);
        start(leader, "primary", events);  // Rejoins as the standby.
        leader = 1 - leader;
    }
    ASSERT_TRUE(
        wait_until([&] { return count_lines(m_sink) >= static_cast<std::uint64_t>(events); },
                   std::chrono::seconds(120)));
    expect_each_decided_once(events);
    std::sort(takeovers.begin(), takeovers.end());
    std::printf("failover: %d kills, takeover median %.0f ms, max %.0f ms\n", kills,
                takeovers[takeovers.size() / 2], takeovers.back());
    EXPECT_LT(takeovers.back(), 5000.0);
}

}  // namespace
}  // namespace esta::test
