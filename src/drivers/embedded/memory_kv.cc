#include "drivers/embedded/memory_kv.h"

#include <charconv>

namespace esta::drivers {

namespace {

Error wrong_type() {
    return Err(Status::DriverError, "kv.wrong_type");
}

}  // namespace

Result<void> MemoryKv::start(std::span<const KvScript> scripts) {
    (void)scripts;  // Without Lua there is nothing to load; EVAL answers NOT_SUPPORTED.
    std::lock_guard lock(m_mutex);
    m_started = true;
    return Ok();
}

void MemoryKv::stop() {
    std::lock_guard lock(m_mutex);
    m_started = false;
}

Health MemoryKv::health() const {
    std::lock_guard lock(m_mutex);
    return m_started ? Health{HealthState::Healthy, ""} : Health{HealthState::Stopped, ""};
}

Lifecycle MemoryKv::lifecycle() const {
    std::lock_guard lock(m_mutex);
    return m_started ? Lifecycle::Ready : Lifecycle::Disconnected;
}

std::size_t MemoryKv::size_locked_for_test() {
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

MemoryKv::Entry* MemoryKv::live_locked(const std::string& key) {
    auto found = m_entries.find(key);
    if (found == m_entries.end()) return nullptr;
    if (found->second.expires_at && *found->second.expires_at <= m_clock.now_ns()) {
        m_entries.erase(found);
        return nullptr;
    }
    return &found->second;
}

Result<std::vector<Result<Value>>> MemoryKv::run(std::span<const KvCommand> commands, bool atomic,
                                                 Nanos deadline) {
    (void)atomic;  // Every batch runs under the one lock, so it is atomic either way.
    (void)deadline;
    std::lock_guard lock(m_mutex);
    if (!m_started) return Err(Status::Unavailable, "kv.stopped");
    std::vector<Result<Value>> results;
    results.reserve(commands.size());
    for (const KvCommand& command : commands)
        results.push_back(apply_locked(command));
    return results;
}

Result<Value> MemoryKv::apply_locked(const KvCommand& command) {
    const std::string& key = command.keys.empty() ? std::string() : command.keys[0];
    switch (command.op) {
        case kv_op::kGet: {
            Entry* entry = live_locked(key);
            if (entry == nullptr) return Value();
            const auto* text = std::get_if<std::string>(&entry->data);
            if (text == nullptr) return wrong_type();
            return bytes_value(*text);
        }
        case kv_op::kSet: {
            Entry entry{command.args[0], std::nullopt};
            if (command.ttl_ms)
                entry.expires_at = m_clock.now_ns() + *command.ttl_ms * kNanosPerMilli;
            m_entries.insert_or_assign(key, std::move(entry));
            return Value();
        }
        case kv_op::kDel:
            return Value(static_cast<i64>(live_locked(key) != nullptr ? m_entries.erase(key) : 0));
        case kv_op::kIncrBy: {
            Entry* entry = live_locked(key);
            i64 current = 0;
            if (entry != nullptr) {
                const auto* text = std::get_if<std::string>(&entry->data);
                if (text == nullptr) return wrong_type();
                auto [end, error] =
                    std::from_chars(text->data(), text->data() + text->size(), current);
                if (error != std::errc() || end != text->data() + text->size()) {
                    return Err(Status::DriverError, "kv.not_an_integer");
                }
            }
            i64 next = 0;
            if (__builtin_add_overflow(current, command.number, &next)) {
                return Err(Status::DriverError, "kv.incr_overflow");
            }
            if (entry == nullptr) {
                m_entries.insert_or_assign(key, Entry{std::to_string(next), std::nullopt});
            } else {
                entry->data = std::to_string(next);  // INCRBY keeps the key's TTL, as Redis does.
            }
            return Value(next);
        }
        case kv_op::kHGet: {
            Entry* entry = live_locked(key);
            if (entry == nullptr) return Value();
            const auto* hash = std::get_if<Hash>(&entry->data);
            if (hash == nullptr) return wrong_type();
            auto found = hash->find(command.args[0]);
            if (found == hash->end()) return Value();
            return bytes_value(found->second);
        }
        case kv_op::kHSet: {
            Entry* entry = live_locked(key);
            if (entry == nullptr) {
                entry = &m_entries.insert_or_assign(key, Entry{Hash{}, std::nullopt}).first->second;
            }
            auto* hash = std::get_if<Hash>(&entry->data);
            if (hash == nullptr) return wrong_type();
            bool created = hash->insert_or_assign(command.args[0], command.args[1]).second;
            return Value(static_cast<i64>(created ? 1 : 0));
        }
        case kv_op::kHGetAll: {
            ValueMap map;
            Entry* entry = live_locked(key);
            if (entry == nullptr) return Value(std::move(map));
            const auto* hash = std::get_if<Hash>(&entry->data);
            if (hash == nullptr) return wrong_type();
            for (const auto& [field, value] : *hash)
                map.emplace_back(field, bytes_value(value));
            return Value(std::move(map));
        }
        case kv_op::kExpire: {
            Entry* entry = live_locked(key);
            if (entry == nullptr) return Value(i64{0});
            entry->expires_at = m_clock.now_ns() + command.number * kNanosPerMilli;
            return Value(i64{1});
        }
        case kv_op::kMGet: {
            ValueList values;
            for (const std::string& each : command.keys) {
                Entry* entry = live_locked(each);
                const auto* text =
                    entry != nullptr ? std::get_if<std::string>(&entry->data) : nullptr;
                values.push_back(text != nullptr ? bytes_value(*text) : Value());
            }
            return Value(std::move(values));
        }
        case kv_op::kEval:
            return Err(Status::NotSupported, "kv.embedded_has_no_scripts");
        default:
            return Err(Status::InvalidArgs, "kv.unknown_op");
    }
}

}  // namespace esta::drivers
