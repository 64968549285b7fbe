#include "drivers/kv_driver.h"

namespace esta::drivers {

namespace {

// The family each op belongs to (D-5 "command families").
std::optional<KvFamily> family_of(u32 op) {
    switch (op) {
        case kv_op::kGet:
        case kv_op::kSet:
        case kv_op::kMGet:
            return KvFamily::Strings;
        case kv_op::kIncrBy:
            return KvFamily::Counters;
        case kv_op::kHGet:
        case kv_op::kHSet:
        case kv_op::kHGetAll:
            return KvFamily::Hashes;
        case kv_op::kDel:
        case kv_op::kExpire:
            return KvFamily::Keys;
        case kv_op::kEval:
            return KvFamily::Scripts;
        default:
            return std::nullopt;
    }
}

bool key_matches(std::string_view declared, std::string_view key) {
    if (!declared.empty() && declared.back() == '*') {
        return key.substr(0, declared.size() - 1) == declared.substr(0, declared.size() - 1);
    }
    return declared == key;
}

}  // namespace

Value error_value(const Error& error) {
    ValueMap map;
    map.emplace_back("error", Value(static_cast<i64>(error.code)));
    return Value(std::move(map));
}

KvDriver::KvDriver(std::unique_ptr<KvStore> store, std::vector<KvScript> scripts,
                   observe::AuditSink* audit)
    : m_store(std::move(store)), m_scripts(std::move(scripts)), m_denials(audit) {}

Result<std::string> KvDriver::scoped_key(std::string_view key, const KvScope& scope,
                                         const CallContext& context) const {
    // Keys are relative: the prefix is prepended, so no key a module can write lands outside
    // it. An empty key would address the prefix itself, which belongs to no module.
    if (key.empty()) {
        return m_denials.deny(Status::AccessDenied, "kv.empty_key", context.scope.grant,
                              context.process, scope.prefix);
    }
    std::string full = scope.prefix;
    full.append(key);
    return full;
}

Result<KvCommand> KvDriver::check(u32 op, const Value& request, const CallContext& context) const {
    const KvScope* scope = context.scope.kv();
    if (scope == nullptr) return Err(Status::WrongType, "kv.scope");
    auto family = family_of(op);
    if (!family) return Err(Status::InvalidArgs, "kv.unknown_op", Detail{.actual = op});
    if (!kv_allows(*scope, *family)) {
        return m_denials.deny(Status::AccessDenied, "kv.family_denied", context.scope.grant,
                              context.process, std::to_string(op));
    }
    Args args(request);
    KvCommand command;
    command.op = op;
    if (op == kv_op::kMGet) {
        const ValueList* keys = ESTA_TRY(args.list(0, "kv.mget_keys"));
        for (const Value& key : *keys) {
            auto view = byte_view(key);
            if (!view) return Err(Status::InvalidArgs, "kv.mget_key");
            command.keys.push_back(ESTA_TRY(scoped_key(*view, *scope, context)));
        }
        return command;
    }
    if (op == kv_op::kEval) {
        std::string_view name = ESTA_TRY(args.text(0, "kv.eval_script"));
        const KvScript* script = nullptr;
        for (const KvScript& candidate : m_scripts) {
            if (candidate.name == name) script = &candidate;
        }
        if (script == nullptr) {
            return m_denials.deny(Status::NotFound, "kv.script_unregistered", context.scope.grant,
                                  context.process, name);
        }
        if (!contains_name(scope->scripts, name)) {
            return m_denials.deny(Status::AccessDenied, "kv.script_denied", context.scope.grant,
                                  context.process, name);
        }
        const ValueList* keys = ESTA_TRY(args.list(1, "kv.eval_keys"));
        for (const Value& key : *keys) {
            auto view = byte_view(key);
            if (!view) return Err(Status::InvalidArgs, "kv.eval_key");
            // A script computes on the keys it is given; only declared keys keep it inside
            // what the manifest reviewed.
            bool declared = false;
            for (const std::string& pattern : script->keys) {
                declared = declared || key_matches(pattern, *view);
            }
            if (!declared) {
                return m_denials.deny(Status::AccessDenied, "kv.script_key_undeclared",
                                      context.scope.grant, context.process, *view);
            }
            command.keys.push_back(ESTA_TRY(scoped_key(*view, *scope, context)));
        }
        if (args.size() > 2) {
            const ValueList* values = ESTA_TRY(args.list(2, "kv.eval_args"));
            for (const Value& value : *values) {
                if (auto view = byte_view(value)) {
                    command.args.emplace_back(*view);
                } else if (const i64* number = value.get<i64>()) {
                    command.args.push_back(std::to_string(*number));
                } else {
                    return Err(Status::InvalidArgs, "kv.eval_arg");
                }
            }
        }
        command.script = script;
        return command;
    }
    std::string_view key = ESTA_TRY(args.bytes(0, "kv.key"));
    command.keys.push_back(ESTA_TRY(scoped_key(key, *scope, context)));
    switch (op) {
        case kv_op::kSet:
            command.args.emplace_back(ESTA_TRY(args.bytes(1, "kv.set_value")));
            command.ttl_ms = ESTA_TRY(args.optional_integer(2, "kv.set_ttl"));
            if (command.ttl_ms && *command.ttl_ms <= 0) {
                return Err(Status::InvalidArgs, "kv.set_ttl", Detail{.actual = 0});
            }
            break;
        case kv_op::kIncrBy:
            command.number = ESTA_TRY(args.integer(1, "kv.incrby_delta"));
            break;
        case kv_op::kHGet:
            command.args.emplace_back(ESTA_TRY(args.bytes(1, "kv.hget_field")));
            break;
        case kv_op::kHSet:
            command.args.emplace_back(ESTA_TRY(args.bytes(1, "kv.hset_field")));
            command.args.emplace_back(ESTA_TRY(args.bytes(2, "kv.hset_value")));
            break;
        case kv_op::kExpire:
            command.number = ESTA_TRY(args.integer(1, "kv.expire_ttl"));
            if (command.number <= 0) return Err(Status::InvalidArgs, "kv.expire_ttl");
            break;
        default:
            break;
    }
    return command;
}

Result<Value> KvDriver::run_one(const KvCommand& command, const CallContext& context) {
    auto results = ESTA_TRY(m_store->run(std::span(&command, 1), false, context.deadline));
    if (results.size() != 1) return Err(Status::Internal, "kv.reply_count");
    Result<Value> reply = std::move(results[0]);
    if (reply && reply->is_null() && (command.op == kv_op::kGet || command.op == kv_op::kHGet)) {
        return Err(Status::NotFound, "kv.key_absent");
    }
    return reply;
}

Result<Value> KvDriver::pipeline(const Value& request, const CallContext& context) {
    Args args(request);
    const ValueList* entries = ESTA_TRY(args.list(0, "kv.pipeline"));
    std::vector<KvCommand> commands;
    commands.reserve(entries->size());
    for (const Value& entry : *entries) {
        Args pair(entry);
        i64 op = ESTA_TRY(pair.integer(0, "kv.pipeline_op"));
        const Value* inner = pair.at(1);
        if (inner == nullptr || op <= 0 || op > kv_op::kEval) {
            return Err(Status::InvalidArgs, "kv.pipeline_entry");
        }
        // Every entry is checked before anything is sent: a denied entry refuses the batch.
        commands.push_back(ESTA_TRY(check(static_cast<u32>(op), *inner, context)));
    }
    auto results = ESTA_TRY(m_store->run(commands, false, context.deadline));
    ValueList replies;
    replies.reserve(results.size());
    for (auto& result : results) {
        replies.push_back(result ? std::move(*result) : error_value(result.error()));
    }
    return Value(std::move(replies));
}

Result<Value> KvDriver::call(u32 op, const Value& request, const CallContext& context) {
    if (context.scope.kv() == nullptr) return Err(Status::WrongType, "kv.scope");
    switch (op) {
        case kv_op::kMulti: {
            std::lock_guard lock(m_mutex);
            // Redis refuses a nested MULTI; so do we, before anything is queued.
            if (!m_transactions.try_emplace(context.binding).second) {
                return Err(Status::InvalidArgs, "kv.multi_nested");
            }
            return Value();
        }
        case kv_op::kDiscard: {
            std::lock_guard lock(m_mutex);
            if (m_transactions.erase(context.binding) == 0) {
                return Err(Status::InvalidArgs, "kv.discard_without_multi");
            }
            return Value();
        }
        case kv_op::kExec: {
            std::vector<KvCommand> queued;
            {
                std::lock_guard lock(m_mutex);
                auto found = m_transactions.find(context.binding);
                if (found == m_transactions.end()) {
                    return Err(Status::InvalidArgs, "kv.exec_without_multi");
                }
                queued = std::move(found->second);
                m_transactions.erase(found);
            }
            auto ran = m_store->run(queued, true, context.deadline);
            if (!ran) {
                // Not performed: the block stays open, so the guard's retry can run it.
                if (ran.error().code == Status::Unavailable) {
                    std::lock_guard lock(m_mutex);
                    m_transactions.try_emplace(context.binding, std::move(queued));
                }
                return ran.error();
            }
            auto results = std::move(*ran);
            ValueList replies;
            for (auto& result : results) {
                replies.push_back(result ? std::move(*result) : error_value(result.error()));
            }
            return Value(std::move(replies));
        }
        case kv_op::kPipeline:
            return pipeline(request, context);
        default:
            break;
    }
    KvCommand command = ESTA_TRY(check(op, request, context));
    {
        std::lock_guard lock(m_mutex);
        auto found = m_transactions.find(context.binding);
        if (found != m_transactions.end()) {
            found->second.push_back(std::move(command));
            return Value("QUEUED");
        }
    }
    return run_one(command, context);
}

void KvDriver::release(u64 binding) {
    std::lock_guard lock(m_mutex);
    m_transactions.erase(binding);
}

}  // namespace esta::drivers
