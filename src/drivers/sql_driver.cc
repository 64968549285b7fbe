#include "drivers/sql_driver.h"

#include <cstdint>

namespace esta::drivers {

std::string_view sql_type_name(SqlType type) {
    switch (type) {
        case SqlType::Bool:
            return "bool";
        case SqlType::Int:
            return "int";
        case SqlType::Float:
            return "float";
        case SqlType::Text:
            return "text";
        case SqlType::Bytes:
            return "bytes";
        case SqlType::Uuid:
            return "uuid";
        case SqlType::Timestamp:
            return "timestamp";
        case SqlType::Decimal:
            return "decimal";
        case SqlType::Json:
            return "json";
    }
    return "unknown";
}

bool value_fits(SqlType type, const Value& value) {
    if (value.is_null()) return true;
    switch (type) {
        case SqlType::Bool:
            return value.get<bool>() != nullptr;
        case SqlType::Int:
            return value.get<i64>() != nullptr;
        case SqlType::Float:
            return value.get<f64>() != nullptr || value.get<i64>() != nullptr;
        case SqlType::Text:
        case SqlType::Json:
            return value.get<std::string>() != nullptr;
        case SqlType::Bytes:
            return value.get<ByteString>() != nullptr;
        case SqlType::Uuid:
            return value.get<kernel::abi::Uuid>() != nullptr;
        case SqlType::Timestamp:
            return value.get<kernel::abi::Timestamp>() != nullptr;
        case SqlType::Decimal:
            return value.get<kernel::abi::Decimal>() != nullptr;
    }
    return false;
}

std::string decimal_to_text(const kernel::abi::Decimal& decimal) {
    bool negative = decimal.unscaled < 0;
    // Unsigned magnitude: the negation of INT64_MIN does not fit an i64.
    u64 magnitude = negative ? 0 - static_cast<u64>(decimal.unscaled) : decimal.unscaled;
    std::string digits = std::to_string(magnitude);
    if (decimal.scale > 0) {
        if (digits.size() <= decimal.scale)
            digits.insert(0, decimal.scale - digits.size() + 1, '0');
        digits.insert(digits.size() - decimal.scale, 1, '.');
    }
    return negative ? "-" + digits : digits;
}

Result<kernel::abi::Decimal> decimal_from_text(std::string_view text) {
    kernel::abi::Decimal decimal;
    bool negative = !text.empty() && text[0] == '-';
    if (negative) text.remove_prefix(1);
    u64 magnitude = 0;
    bool after_point = false;
    for (char c : text) {
        if (c == '.' && !after_point) {
            after_point = true;
            continue;
        }
        if (c < '0' || c > '9') return Err(Status::DriverError, "sql.decimal_text");
        if (__builtin_mul_overflow(magnitude, u64{10}, &magnitude) ||
            __builtin_add_overflow(magnitude, static_cast<u64>(c - '0'), &magnitude)) {
            return Err(Status::DriverError, "sql.decimal_range");
        }
        if (after_point) ++decimal.scale;
    }
    if (magnitude > static_cast<u64>(INT64_MAX))
        return Err(Status::DriverError, "sql.decimal_range");
    decimal.unscaled = negative ? -static_cast<i64>(magnitude) : static_cast<i64>(magnitude);
    return decimal;
}

std::string sqlite_placeholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size());
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char c = sql[i];
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            c = '?';
        }
        out.push_back(c);
    }
    return out;
}

SqlDriver::SqlDriver(std::unique_ptr<SqlBackend> backend, std::vector<SqlStatement> statements,
                     observe::AuditSink* audit)
    : m_backend(std::move(backend)), m_statements(std::move(statements)), m_denials(audit) {}

bool SqlDriver::in_transaction(u64 binding) {
    std::lock_guard lock(m_mutex);
    return m_open.count(binding) != 0;
}

Result<Value> SqlDriver::exec(const Value& request, const CallContext& context) {
    const SqlScope& scope = *context.scope.sql();
    Args args(request);
    std::string_view name = ESTA_TRY(args.text(0, "sql.statement_name"));
    const SqlStatement* statement = nullptr;
    for (const SqlStatement& candidate : m_statements) {
        if (candidate.name == name) statement = &candidate;
    }
    // An undeclared name and a declared-but-not-granted one are told apart: the first is
    // NOT_FOUND (no such thing exists), the second ACCESS_DENIED; both are audited.
    if (statement == nullptr) {
        return m_denials.deny(Status::NotFound, "sql.statement_undeclared", context.scope.grant,
                              context.process, name);
    }
    if (!contains_name(scope.statements, name)) {
        return m_denials.deny(Status::AccessDenied, "sql.statement_denied", context.scope.grant,
                              context.process, name);
    }
    static const ValueList kNoParams;
    const ValueList* params = &kNoParams;
    if (args.size() > 1) params = ESTA_TRY(args.list(1, "sql.params"));
    if (params->size() != statement->params.size()) {
        return Err(Status::InvalidArgs, "sql.param_count",
                   Detail{.limit = statement->params.size(), .actual = params->size()});
    }
    for (std::size_t i = 0; i < params->size(); ++i) {
        if (!value_fits(statement->params[i], (*params)[i])) {
            return Err(Status::InvalidArgs, "sql.param_type", Detail{.index = i});
        }
    }
    bool open = in_transaction(context.binding);
    SqlRows rows =
        ESTA_TRY(m_backend->exec(context.binding, open, *statement, *params, context.deadline));
    ValueMap reply;
    reply.emplace_back("rows", Value(std::move(rows.rows)));
    reply.emplace_back("affected", Value(rows.affected));
    return Value(std::move(reply));
}

Result<Value> SqlDriver::call(u32 op, const Value& request, const CallContext& context) {
    if (context.scope.sql() == nullptr) return Err(Status::WrongType, "sql.scope");
    switch (op) {
        case sql_op::kExec:
            return exec(request, context);
        case sql_op::kBegin: {
            if (in_transaction(context.binding))
                return Err(Status::InvalidArgs, "sql.nested_begin");
            ESTA_TRY(m_backend->begin(context.binding, context.deadline));
            std::lock_guard lock(m_mutex);
            m_open.insert(context.binding);
            return Value();
        }
        case sql_op::kCommit:
        case sql_op::kRollback: {
            {
                std::lock_guard lock(m_mutex);
                // The transaction ends whatever the outcome: a failed COMMIT is resolved by
                // the backend (D-4), never left half-open on the handle.
                if (m_open.erase(context.binding) == 0) {
                    return Err(Status::InvalidArgs, "sql.no_transaction");
                }
            }
            if (op == sql_op::kCommit) {
                ESTA_TRY(m_backend->commit(context.binding, context.deadline));
            } else {
                ESTA_TRY(m_backend->rollback(context.binding, context.deadline));
            }
            return Value();
        }
        default:
            return Err(Status::InvalidArgs, "sql.unknown_op", Detail{.actual = op});
    }
}

void SqlDriver::release(u64 binding) {
    bool open = false;
    {
        std::lock_guard lock(m_mutex);
        open = m_open.erase(binding) != 0;
    }
    if (open) (void)m_backend->rollback(binding, 0);
}

}  // namespace esta::drivers
