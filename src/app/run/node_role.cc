#include "app/run/node_role.h"

#include "app/run/node_observe.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <thread>
#include <vector>

#include "app/run/role_machine.h"
#include "drivers/postgres/pg_witness.h"
#include "observe/crypto.h"
#include "observe/json.h"
#include "replication/fenced_file.h"
#include "replication/node.h"

namespace esta::app::run {

namespace {

using replication::FencedFile;
using replication::FencedLine;

constexpr auto kIdlePause = std::chrono::microseconds(100);
constexpr i64 kPublishEveryNs = 50'000'000;
constexpr i64 kLeaseEveryNs = 1'000'000'000;
constexpr std::size_t kLatencySamples = 8192;

i64 steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void field(std::string& out, const char* key, u64 value) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(value);
}

void field(std::string& out, const char* key, std::string_view value) {
    out += ",\"";
    out += key;
    out += "\":";
    observe::append_json_string(out, value);
}

// The pair's advisory-lock key: FNV-1a of its name, so pairs of different applications on
// one server do not share a lease.
i64 pair_key(std::string_view name) {
    u64 hash = 14695981039346656037ull;
    for (char c : name) {
        hash ^= static_cast<u8>(c);
        hash *= 1099511628211ull;
    }
    return static_cast<i64>(hash >> 1);
}

u64 percentile(std::vector<u64> samples, double q) {
    if (samples.empty()) return 0;
    auto at = samples.begin() + static_cast<std::ptrdiff_t>(q * double(samples.size() - 1));
    std::nth_element(samples.begin(), at, samples.end());
    return *at;
}

}  // namespace

struct NodeRole::Parts {
    Parts(Node& n, RoleOptions o, RoleBoard& b)
        : node(n),
          options(std::move(o)),
          board(b),
          machine(n, options.decide_timeout_ms, std::size_t{options.window} * 4 + 1024) {}

    Node& node;
    const RoleOptions options;
    RoleBoard& board;
    protocol::SystemClock clock;
    std::unique_ptr<replication::Witness> witness;
    i64 pg_key = 0;                // The advisory lock's key, with witness_pg.
    replication::LeaseView lease;  // As last read, for the status.
    i64 lease_checked = 0;
    Result<replication::LeaseView> peek_lease() const;
    RoleMachine machine;
    std::unique_ptr<replication::ReplicationNode> replica;
    std::map<std::string, std::unique_ptr<FencedFile>, std::less<>> sinks;  // By sink name.
    RoleEffects* effects = nullptr;
    u64 land_failures = 0;  // Rounds whose decisions did not land (tried again).

    u64 checkpoint_every = 0;  // As run (0: the store takes no snapshot).
    bool alone = false;        // Writing without the standby's acknowledgement (standby timeout).
    u64 alone_periods = 0;
    u64 fed = 0;            // Events the source gave so far.
    u64 leading_epoch = 0;  // The epoch the sinks were fenced at; 0 while not leading.
    u64 written = 0;
    u64 refused = 0;
    u64 divergences = 0;
    u64 module_mismatches = 0;  // Entries made by other modules (an upgrade half done).
    std::shared_ptr<ReplicaReadings> readings = std::make_shared<ReplicaReadings>();  // /metrics
    u64 link_errors = 0;
    u64 promotions = 0;
    std::optional<u64> takeover_ms;
    protocol::Nanos last_heard = 0;               // While standby: when the primary was last heard.
    std::deque<std::pair<u64, i64>> appended_at;  // Sequence, steady ns (until acknowledged).
    std::vector<u64> ack_ns;                      // The latest samples, a ring.
    std::size_t ack_next = 0;
    i64 last_publish = 0;

    // Ingress requests: queued by any thread, admitted by the role's, answered at release.
    struct Request {
        RoleEvent event;
        std::shared_ptr<Answer> answer;
    };
    std::atomic<bool> leads{false};
    std::mutex requests_mutex;
    std::deque<Request> requests;
    std::map<u64, std::shared_ptr<Answer>> waiting;  // By sequence.

    void admit_requests(replication::Primary& primary);
    void fail_requests();

    Result<void> round();
    Result<void> lead(replication::Primary& primary);
    Result<void> release(replication::Primary& primary);
    void watch_standby(replication::Primary& primary);
    // Decisions are written only once the standby acknowledged them.
    bool synchronous() const { return options.config.synchronous && !alone; }
    void publish(bool force);
    Error fenced(Error error);
};

void NodeRole::Parts::admit_requests(replication::Primary& primary) {
    std::deque<Request> taken;
    {
        std::lock_guard<std::mutex> lock(requests_mutex);
        taken.swap(requests);
    }
    for (auto& request : taken) {
        auto sequence = primary.append(machine.encode(request.event));
        if (!sequence) {
            request.answer->fail();
            continue;
        }
        appended_at.emplace_back(*sequence, steady_ns());
        waiting[*sequence] = std::move(request.answer);
    }
}

void NodeRole::Parts::fail_requests() {
    leads = false;
    std::deque<Request> taken;
    {
        std::lock_guard<std::mutex> lock(requests_mutex);
        taken.swap(requests);
    }
    for (auto& request : taken)
        request.answer->fail();
    for (auto& [sequence, answer] : waiting)
        answer->fail();
    waiting.clear();
}

Result<replication::LeaseView> NodeRole::Parts::peek_lease() const {
    if (options.witness_pg.empty()) return replication::LockFileWitness::peek(options.lock_file);
    return drivers::PgWitness::peek(options.witness_pg, pg_key);
}

Error NodeRole::Parts::fenced(Error error) {
    fail_requests();
    (void)node.audit("replication.fenced",
                     {{"epoch", observe::Value::integer(static_cast<i64>(leading_epoch))},
                      {"reason", observe::Value::text(error.to_string())}});
    leading_epoch = 0;
    publish(true);
    return error;
}

Result<void> NodeRole::Parts::lead(replication::Primary& primary) {
    u64 epoch = primary.epoch();
    for (auto& [name, sink] : sinks) {
        auto announced = sink->fence(epoch);
        if (!announced) {
            ++refused;
            return fenced(announced.error());
        }
        // What the old primary wrote ends at the sink's last sequence; the rest of the
        // journal is written from the decisions this node kept (release()).
        if (primary.last_sequence() > sink->last_sequence() &&
            machine.forgotten_through() > sink->last_sequence()) {
            (void)node.audit(
                "replication.decisions_forgotten",
                {{"sink", observe::Value::text(name)},
                 {"written_through", observe::Value::integer(i64(sink->last_sequence()))},
                 {"kept_from", observe::Value::integer(i64(machine.forgotten_through() + 1))}});
        }
    }
    if (replica->just_promoted()) {
        ++promotions;
        takeover_ms = static_cast<u64>((clock.now_ns() - last_heard) / protocol::kNanosPerMilli);
    }
    leading_epoch = epoch;
    leads = true;
    (void)node.audit("replication.leading",
                     {{"epoch", observe::Value::integer(static_cast<i64>(epoch))},
                      {"journal_end", observe::Value::integer(i64(primary.last_sequence()))}});
    publish(true);
    return {};
}

Result<void> NodeRole::Parts::release(replication::Primary& primary) {
    i64 now = steady_ns();
    // Alone, nothing is acknowledged: the samples are dropped, not kept until the standby is back.
    u64 sampled = alone ? primary.last_sequence() : primary.acknowledged();
    while (!appended_at.empty() && appended_at.front().first <= sampled) {
        u64 sample = static_cast<u64>(now - appended_at.front().second);
        if (ack_ns.size() < kLatencySamples) {
            ack_ns.push_back(sample);
        } else {
            ack_ns[ack_next] = sample;
            ack_next = (ack_next + 1) % kLatencySamples;
        }
        appended_at.pop_front();
    }
    readings->oldest_unacknowledged_ns.store(appended_at.empty() ? 0 : appended_at.front().second);
    u64 through = synchronous() ? primary.acknowledged() : primary.last_sequence();
    auto& kept = machine.kept();
    bool none_kept = kept.empty() || kept.begin()->first > through;
    bool none_waiting = waiting.empty() || waiting.begin()->first > through;
    if (none_kept && none_waiting) return {};
    auto end = kept.upper_bound(through);
    if (effects != nullptr) {
        std::vector<const KeptDecision*> consumed;
        for (auto it = kept.begin(); it != end; ++it)
            if (it->second.from) consumed.push_back(&it->second);
        auto landed = consumed.empty() ? Result<void>{} : effects->land(leading_epoch, consumed);
        if (!landed) {
            if (landed.error().code == Status::Revoked) {
                ++refused;
                return fenced(landed.error());
            }
            ++land_failures;  // Kept: the next round lands them.
            return {};
        }
    }
    std::map<std::string_view, std::vector<FencedLine>> by_sink;
    for (auto it = kept.begin(); it != end; ++it)
        by_sink[it->second.sink].push_back(FencedLine{it->first, it->second.line});
    for (auto& [name, lines] : by_sink) {
        auto sink = sinks.find(name);
        if (sink == sinks.end()) continue;  // Not a sink of this manifest: cannot happen.
        auto appended = sink->second->append(lines);
        if (!appended) {
            if (appended.error().code != Status::Revoked) return appended.error();
            ++refused;
            return fenced(appended.error());
        }
        written += *appended;
    }
    // Written: the waiting requests get their decisions (or, with none, a failure).
    for (auto it = waiting.begin(); it != waiting.end() && it->first <= through;) {
        auto decided = kept.find(it->first);
        if (decided != kept.end()) {
            it->second->give(decided->second.line, decided->second.sink);
        } else {
            it->second->fail();
        }
        it = waiting.erase(it);
    }
    kept.erase(kept.begin(), end);
    return {};
}

// The standby timeout (docs/OPERATIONS.md, "A primary alone"): a synchronous primary whose
// oldest unacknowledged event waited longer writes decisions without acknowledgements until
// a connected standby is within one window of the journal's end again. Only when decisions are
// written depends on the wall clock here, never what they are.
void NodeRole::Parts::watch_standby(replication::Primary& primary) {
    if (!options.config.synchronous || options.standby_timeout_ms == 0) return;
    auto record = [&](std::string_view kind) {
        (void)node.audit(
            kind, {{"epoch", observe::Value::integer(i64(primary.epoch()))},
                   {"acknowledged", observe::Value::integer(i64(primary.acknowledged()))},
                   {"last_sequence", observe::Value::integer(i64(primary.last_sequence()))}});
    };
    if (alone) {
        // Caught up: what the standby still lacks fits the window (while the source goes on
        // it may never be zero). Those decisions are written already; a sequence is
        // written once, so being synchronous again rewrites none.
        if (!primary.connected() ||
            primary.last_sequence() - primary.acknowledged() >= options.window)
            return;
        alone = false;
        readings->alone.store(false);
        record("replication.standby_caught_up");
        publish(true);
        return;
    }
    if (appended_at.empty()) return;
    i64 waited = steady_ns() - appended_at.front().second;
    if (waited < i64(options.standby_timeout_ms) * 1'000'000) return;
    alone = true;
    ++alone_periods;
    readings->alone.store(true);
    record("replication.primary_alone");
    publish(true);
}

Result<void> NodeRole::Parts::round() {
    auto stepped = replica->step();
    if (!stepped) {
        if (stepped.error().code == Status::Revoked) return fenced(stepped.error());
        ++link_errors;  // A dropped link: the next step reconnects.
    }
    if (auto* standby = replica->standby()) last_heard = standby->last_heard();
    if (auto* primary = replica->primary()) {
        if (primary->fenced()) return fenced(Err(Status::Revoked, "role: fenced"));
        if (leading_epoch != primary->epoch()) ESTA_TRY(lead(*primary));
        admit_requests(*primary);
        watch_standby(*primary);
        ESTA_TRY(release(*primary));
    }
    publish(false);
    return {};
}

void NodeRole::Parts::publish(bool force) {
    i64 now = steady_ns();
    if (!force && now - last_publish < kPublishEveryNs) return;
    last_publish = now;
    std::string out = ",\"redundancy\":{\"role\":";
    auto* primary = replica->primary();
    auto* standby = replica->standby();
    out += primary ? (primary->fenced() ? "\"fenced\"" : "\"primary\"") : "\"standby\"";
    u64 epoch = primary ? primary->epoch() : standby ? standby->known_epoch() : 0;
    field(out, "epoch", epoch);
    // The witness is read at most once a second (for PostgreSQL, a session each time).
    if (force || now - lease_checked > kLeaseEveryNs) {
        auto peeked = peek_lease();
        lease = peeked ? *peeked : replication::LeaseView{};
        lease_checked = now;
    }
    field(out, "lease_epoch", lease.epoch);
    field(out, "lease_holder", lease.holder);
    field(out, "listen", options.listen);
    field(out, "peer", options.peer);
    field(out, "synchronous", options.config.synchronous ? 1 : 0);
    field(out, "standby_timeout_ms", options.standby_timeout_ms);
    field(out, "alone", alone ? 1 : 0);
    field(out, "alone_periods", alone_periods);
    field(out, "checkpoint_every", checkpoint_every);
    if (primary) {
        field(out, "checkpoint_sequence", primary->log().checkpoint_sequence());
        field(out, "journal_tail", primary->log().tail().size());
        field(out, "checkpoints_sent", primary->stats().checkpoints_sent);
    } else if (standby) {
        field(out, "checkpoint_sequence", standby->log().checkpoint_sequence());
        field(out, "journal_tail", standby->log().tail().size());
        field(out, "checkpoints_restored", standby->stats().checkpoints_restored);
    }
    if (primary) {
        field(out, "last_sequence", primary->last_sequence());
        field(out, "acknowledged", primary->acknowledged());
        field(out, "lag_entries", primary->last_sequence() - primary->acknowledged());
        // Synchronous with a full window: no event is admitted until the standby acknowledges.
        field(out, "waiting_for_standby",
              synchronous() && primary->last_sequence() - primary->acknowledged() >= options.window
                  ? 1
                  : 0);
        field(out, "connected", primary->connected() ? 1 : 0);
    } else if (standby) {
        field(out, "last_sequence", standby->last_sequence());
        field(out, "primary_last", standby->primary_last());
        field(out, "lag_entries", standby->primary_last() - standby->last_sequence());
        field(out, "chain_failures", standby->stats().chain_failures);
    }
    field(out, "divergences", divergences);
    field(out, "module_mismatches", module_mismatches);
    field(out, "written", written);
    field(out, "refused_writes", refused);
    field(out, "link_errors", link_errors);
    if (effects != nullptr) {
        field(out, "land_failures", land_failures);
        for (const auto& [key, value] : effects->fields())
            field(out, key, value);
    }
    field(out, "promotions", promotions);
    if (takeover_ms) field(out, "takeover_ms", *takeover_ms);
    field(out, "ack_p50_us", percentile(ack_ns, 0.50) / 1000);
    field(out, "ack_p99_us", percentile(ack_ns, 0.99) / 1000);
    out += '}';
    board.publish(std::move(out));
}

NodeRole::NodeRole(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

NodeRole::~NodeRole() {
    m_parts->fail_requests();
    m_parts->publish(true);
}

Result<std::string> NodeRole::request(const std::string& process, u32 type, std::string_view body,
                                      u64 timeout_ms) {
    Parts& p = *m_parts;
    if (!p.leads) return Err(Status::Unavailable, "role: not the primary");
    auto answer = std::make_shared<Answer>();
    {
        std::lock_guard<std::mutex> lock(p.requests_mutex);
        p.requests.push_back(
            Parts::Request{RoleEvent{process, type, std::string(body), {}}, answer});
    }
    return answer->wait(timeout_ms);
}

Result<std::unique_ptr<NodeRole>> NodeRole::start(Node& node, RoleOptions options,
                                                  RoleBoard& board) {
    auto parts = std::make_unique<Parts>(node, std::move(options), board);
    Parts& p = *parts;
    const auto& paths = node.paths();
    for (std::size_t i = 0; i < paths.sink_files.size(); ++i)
        p.sinks[paths.sink_names[i]] = ESTA_TRY(FencedFile::open(paths.sink_files[i]));
    std::string label = "pid " + std::to_string(::getpid()) + " at " + p.options.listen;
    if (p.options.witness_pg.empty()) {
        p.witness = std::make_unique<replication::LockFileWitness>(p.options.lock_file, label);
    } else {
        p.pg_key = pair_key(p.options.pair_name);
        p.witness = std::make_unique<drivers::PgWitness>(p.options.witness_pg, p.pg_key, label);
    }
    replication::NodeOptions replica;
    replica.node = 1;  // One node per process: the witness tells the processes apart.
    replica.listen = p.options.listen;
    replica.peer = p.options.peer;
    replica.config = p.options.config;
    if (!p.machine.checkpoints_supported()) {
        // A store kept elsewhere (Redis) has no snapshot: a joining standby re-executes the
        // journal from its first event, and the primary keeps all of it.
        replica.config.checkpoint_every = 0;
        (void)node.audit(
            "replication.no_checkpoints",
            {{"reason", observe::Value::text("the key-value store takes no snapshot")}});
    }
    p.checkpoint_every = replica.config.checkpoint_every;
    // A node that finds an epoch granted before starts as a standby, whatever its role: a
    // restarted primary rejoins as the standby of the node that took over (which waited
    // for the timeout first, so it wins), and leads itself only if no primary shows up.
    auto lease = p.peek_lease();
    replica.start_as_standby =
        p.options.role == manifest::RedundancyRole::Standby || (lease && lease->epoch > 0);
    p.replica =
        std::make_unique<replication::ReplicationNode>(replica, p.clock, p.machine, *p.witness);
    ESTA_TRY(p.replica->start());
    if (auto* standby = p.replica->standby()) {
        standby->on_divergence([&p](u64 sequence, const replication::Digest& primary,
                                    const replication::Digest& ours) {
            // The primary ran other modules: the lines differ in module_sha256 (audited
            // once by the machine), which is no divergence.
            if (p.machine.made_by_other_modules(sequence)) {
                ++p.module_mismatches;
                return;
            }
            ++p.divergences;
            p.readings->divergences.fetch_add(1);
            (void)p.node.audit("replication.divergence",
                               {{"sequence", observe::Value::integer(static_cast<i64>(sequence))},
                                {"primary", observe::Value::text(observe::to_hex(primary))},
                                {"standby", observe::Value::text(observe::to_hex(ours))}});
        });
    }
    node.observability().watch_replica(p.readings);
    p.publish(true);
    return std::unique_ptr<NodeRole>(new NodeRole(std::move(parts)));
}

Result<void> NodeRole::feed(std::string_view line, const std::function<bool()>& stop) {
    Parts& p = *m_parts;
    ++p.fed;
    for (;;) {
        if (stop()) return Err(Status::ShuttingDown, "role: stopped");
        ESTA_TRY(p.round());
        auto* primary = p.replica->primary();
        if (primary != nullptr && p.leading_epoch == primary->epoch()) {
            if (p.fed <= primary->last_sequence()) return {};  // In the journal already.
            RoleEvent event{p.options.process, p.options.message_type, std::string(line), {}};
            if (ESTA_TRY(try_admit(event))) return {};
        }
        std::this_thread::sleep_for(kIdlePause);
    }
}

Result<void> NodeRole::idle(const std::function<bool()>& stop) {
    while (!stop()) {
        ESTA_TRY(m_parts->round());
        std::this_thread::sleep_for(kIdlePause);
    }
    return {};
}

void NodeRole::set_effects(RoleEffects* effects) {
    m_parts->effects = effects;
}

Result<void> NodeRole::step() {
    return m_parts->round();
}

Result<bool> NodeRole::try_admit(const RoleEvent& event) {
    Parts& p = *m_parts;
    auto* primary = p.replica->primary();
    if (primary == nullptr || p.leading_epoch != primary->epoch()) return false;
    if (p.synchronous() && primary->last_sequence() - primary->acknowledged() >= p.options.window)
        return false;
    u64 sequence = ESTA_TRY(primary->append(p.machine.encode(event)));
    p.appended_at.emplace_back(sequence, steady_ns());
    if (p.appended_at.size() == 1)
        p.readings->oldest_unacknowledged_ns.store(p.appended_at.front().second);
    return true;
}

std::set<std::string> NodeRole::unlanded_keys() const {
    std::set<std::string> keys;
    for (const auto& [sequence, decision] : m_parts->machine.kept())
        if (decision.from) keys.insert(decision.key);
    return keys;
}

i64 NodeRole::lease_key() const {
    return m_parts->pg_key;
}

bool NodeRole::leading() const {
    return m_parts->leading_epoch != 0;
}

u64 NodeRole::epoch() const {
    return m_parts->leading_epoch;
}

}  // namespace esta::app::run
