#include "app/run/staged_kv.h"

namespace esta::app::run {

namespace {

namespace kv_op = drivers::kv_op;

constexpr protocol::Nanos kFlushWait = 10'000 * protocol::kNanosPerMilli;
// A done record outlives any redelivery: offsets are committed right after it is written.
constexpr i64 kDoneTtlMs = 7LL * 24 * 3600 * 1000;

bool stageable(const drivers::KvCommand& command) {
    return (command.op == kv_op::kGet || command.op == kv_op::kMGet || command.op == kv_op::kSet) &&
           !command.ttl_ms;
}

drivers::KvCommand set_command(std::string key, std::string value) {
    drivers::KvCommand command;
    command.op = kv_op::kSet;
    command.keys.push_back(std::move(key));
    command.args.push_back(std::move(value));
    return command;
}

}  // namespace

StagedKv::StagedKv(std::unique_ptr<drivers::KvStore> store, std::string done_prefix,
                   const protocol::Clock& clock)
    : m_store(std::move(store)), m_done_prefix(std::move(done_prefix)), m_clock(clock) {}

Result<void> StagedKv::start(std::span<const drivers::KvScript> scripts) {
    return m_store->start(scripts);
}

void StagedKv::stop() {
    m_store->stop();
}

drivers::Health StagedKv::health() const {
    return m_store->health();
}

drivers::Lifecycle StagedKv::lifecycle() const {
    return m_store->lifecycle();
}

u64 StagedKv::connections() const {
    return m_store->connections();
}

Result<std::vector<Result<drivers::Value>>> StagedKv::run(
    std::span<const drivers::KvCommand> commands, bool atomic, protocol::Nanos deadline) {
    std::lock_guard<std::mutex> lock(m_mutex);
    bool all_stageable = true;
    for (const auto& command : commands)
        all_stageable = all_stageable && stageable(command);
    if (!all_stageable) {
        ESTA_TRY(flush_locked({}));
        return m_store->run(commands, atomic, deadline);
    }
    // Reads the store does not have staged are fetched in one MGET, as they were before
    // this batch's writes (which are applied in order below).
    std::vector<std::string> missing;
    std::map<std::string, std::string> written;
    for (const auto& command : commands) {
        if (command.op == kv_op::kSet) {
            written.insert_or_assign(command.keys[0], command.args[0]);
            continue;
        }
        for (const auto& key : command.keys)
            if (!m_staged.count(key) && !written.count(key)) missing.push_back(key);
    }
    std::map<std::string, drivers::Value> fetched;
    if (!missing.empty()) {
        drivers::KvCommand mget;
        mget.op = kv_op::kMGet;
        mget.keys = missing;
        auto replies = ESTA_TRY(m_store->run(std::span(&mget, 1), false, deadline));
        drivers::Value list = ESTA_TRY(std::move(replies.at(0)));
        const auto* values = list.get<drivers::ValueList>();
        if (values == nullptr || values->size() != missing.size())
            return Err(Status::DriverError, "run.staged_mget_shape");
        for (std::size_t i = 0; i < missing.size(); ++i)
            fetched.insert_or_assign(missing[i], (*values)[i]);
    }
    auto read = [&](const std::string& key) {
        auto staged = m_staged.find(key);
        if (staged != m_staged.end()) return drivers::bytes_value(staged->second);
        return fetched.at(key);
    };
    std::vector<Result<drivers::Value>> results;
    for (const auto& command : commands) {
        if (command.op == kv_op::kSet) {
            m_staged.insert_or_assign(command.keys[0], command.args[0]);
            results.emplace_back(drivers::Value());
        } else if (command.op == kv_op::kGet) {
            results.emplace_back(read(command.keys[0]));
        } else {
            drivers::ValueList values;
            for (const auto& key : command.keys)
                values.push_back(read(key));
            results.emplace_back(drivers::Value(std::move(values)));
        }
    }
    return results;
}

Result<void> StagedKv::flush_locked(const std::vector<std::pair<std::string, std::string>>& done) {
    if (m_staged.empty() && done.empty()) return {};
    std::vector<drivers::KvCommand> commands;
    for (const auto& [key, value] : m_staged)
        commands.push_back(set_command(key, value));
    for (const auto& [key, decision] : done) {
        commands.push_back(set_command(m_done_prefix + key, decision));
        commands.back().ttl_ms = kDoneTtlMs;
    }
    auto replies = ESTA_TRY(m_store->run(commands, true, m_clock.now_ns() + kFlushWait));
    for (auto& reply : replies)
        ESTA_TRY(std::move(reply));
    m_staged.clear();
    return {};
}

Result<void> StagedKv::flush(const std::vector<std::pair<std::string, std::string>>& done) {
    std::lock_guard<std::mutex> lock(m_mutex);
    return flush_locked(done);
}

Result<std::map<std::string, std::string>> StagedKv::done(const std::vector<std::string>& keys) {
    std::map<std::string, std::string> found;
    if (keys.empty()) return found;
    drivers::KvCommand mget;
    mget.op = kv_op::kMGet;
    for (const auto& key : keys)
        mget.keys.push_back(m_done_prefix + key);
    auto replies =
        ESTA_TRY(m_store->run(std::span(&mget, 1), false, m_clock.now_ns() + kFlushWait));
    drivers::Value list = ESTA_TRY(std::move(replies.at(0)));
    const auto* values = list.get<drivers::ValueList>();
    if (values == nullptr || values->size() != keys.size())
        return Err(Status::DriverError, "run.done_mget_shape");
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto bytes = drivers::byte_view((*values)[i]);
        if (bytes) found.emplace(keys[i], std::string(*bytes));
    }
    return found;
}

}  // namespace esta::app::run
